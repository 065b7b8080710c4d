"""DeviceIO service (tmd): digital inputs and relay outputs.

ONVIF DeviceIO Service Specification. deviceio.wsdl reuses the device service's relay
messages (``tds:GetRelayOutputs``, ``tds:SetRelayOutputState``) posted to the DeviceIO
address with its own action URIs (note the lower-case ``deviceio`` in them), so
:func:`callpoint.onvif.device.parse_relay_outputs` reads the replies.
"""

from __future__ import annotations

from dataclasses import dataclass

from callpoint.onvif import device
from callpoint.onvif.device import parse_relay_outputs
from callpoint.onvif.errors import RemoteProtocolError
from callpoint.onvif.namespaces import TMD
from callpoint.onvif.request import Request, request
from callpoint.onvif.xmlutil import Element, children, expect

_ACTION = "http://www.onvif.org/ver10/deviceio/wsdl/"


@dataclass(frozen=True, slots=True)
class DigitalInput:
    """tt:DigitalInput: token and the idle state (closed or open), if given."""

    token: str
    idle_state: str | None


def get_digital_inputs() -> Request:
    """GetDigitalInputs."""
    return request(TMD, "GetDigitalInputs", action=_ACTION + "GetDigitalInputs")


def parse_digital_inputs(body: Element | None) -> tuple[DigitalInput, ...]:
    """Parse GetDigitalInputsResponse."""
    out = []
    for d in children(expect(body, "GetDigitalInputsResponse"), "DigitalInputs"):
        token = d.get("token")
        if not token:
            raise RemoteProtocolError("DigitalInput without token")
        out.append(DigitalInput(token, d.get("IdleState")))
    return tuple(out)


def get_relay_outputs() -> Request:
    """GetRelayOutputs on the DeviceIO service."""
    tds = device.get_relay_outputs()  # shared bytes, posted to another service
    return Request(TMD, None, _ACTION + "GetRelayOutputs", xml=tds.xml, operation=tds.operation)


def set_relay_state(token: str, active: bool) -> Request:
    """SetRelayOutputState on the DeviceIO service."""
    body = device.set_relay_output_state(token, active).body
    return Request(TMD, body, _ACTION + "SetRelayOutputState")


__all__ = [
    "DigitalInput",
    "get_digital_inputs",
    "get_relay_outputs",
    "parse_digital_inputs",
    "parse_relay_outputs",
    "set_relay_state",
]
