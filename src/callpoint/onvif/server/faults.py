"""Map the device model's errors to the ONVIF faults a client expects (Core generic faults)."""

from __future__ import annotations

from callpoint.onvif.errors import (
    SENDER,
    InvalidArgsFault,
    ReceiverFault,
    ResourceUnknownFault,
    SoapFault,
)
from callpoint.onvif.namespaces import TER, WSRF_BF, qname
from callpoint.onvif.server.device_errors import (
    DeviceError,
    InvalidValueError,
    TooManyPresetsError,
    TooManySubscriptionsError,
    UnacceptableTerminationTimeError,
    UnknownSubscriptionError,
    UnknownTokenError,
)

# Second-level subcode under ter:InvalidArgVal for an unknown token, per service spec.
_TOKEN_SUBCODES = {
    "profile": "NoProfile",
    "preset": "NoToken",
    "relay output": "RelayToken",
    "digital input": "NoEntity",
    "door": "NotFound",
    "access point": "NotFound",
    "video source": "NoSource",
    "PTZ node": "NoEntity",
}


def fault_for(error: DeviceError) -> SoapFault:
    """The SOAP fault that answers a device error."""
    if isinstance(error, UnknownTokenError):
        second = _TOKEN_SUBCODES.get(error.kind, "NoEntity")
        return InvalidArgsFault(
            str(error), subcodes=(qname(TER, "InvalidArgVal"), qname(TER, second))
        )
    if isinstance(error, InvalidValueError | UnacceptableTerminationTimeError):
        return InvalidArgsFault(str(error))
    if isinstance(error, UnknownSubscriptionError):
        return ResourceUnknownFault(
            str(error), code=SENDER, subcodes=(qname(WSRF_BF, "ResourceUnknownFault"),)
        )
    if isinstance(error, TooManyPresetsError):
        return ReceiverFault(
            str(error), subcodes=(qname(TER, "Action"), qname(TER, "TooManyPresets"))
        )
    if isinstance(error, TooManySubscriptionsError):
        return ReceiverFault(str(error), subcodes=(qname(TER, "Action"),))
    return ReceiverFault(str(error), subcodes=(qname(TER, "Action"),))
