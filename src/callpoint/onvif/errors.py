"""Errors of the ONVIF library, and SOAP faults as typed exceptions.

Two kinds of protocol error (STYLE.md): :class:`LocalProtocolError` is our own misuse (a
bad argument to a builder), :class:`RemoteProtocolError` is a peer's bad input (malformed
XML, a reply of the wrong shape). A :class:`SoapFault` is a well-formed refusal from the
peer; its subclasses follow the generic fault subcodes of ONVIF Core (error handling
chapter) and each carries the HTTP status a server answers it with (SOAP 1.2 part 2,
section 7.5.2.2: Sender faults are 400, every other code 500).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from callpoint.onvif.namespaces import SOAP_ENV, TER, qname


class OnvifError(Exception):
    """Base of every error raised by :mod:`callpoint.onvif`."""


class LocalProtocolError(OnvifError):
    """We were asked to do something the protocol does not allow (our bug)."""


class RemoteProtocolError(OnvifError):
    """The peer sent something we cannot accept (malformed, oversize, wrong shape).

    ``http_status`` is what a server answers such input with; a server also answers it as a
    ``env:Sender`` / ``ter:WellFormed`` fault (see :func:`callpoint.codecs.soap.build_fault`).
    """

    http_status: int = 400


class TransportError(OnvifError):
    """The device could not be reached or did not answer in time."""


# SOAP 1.2 fault codes (part 1, section 5.4.6).
SENDER = qname(SOAP_ENV, "Sender")
RECEIVER = qname(SOAP_ENV, "Receiver")
VERSION_MISMATCH = qname(SOAP_ENV, "VersionMismatch")
MUST_UNDERSTAND = qname(SOAP_ENV, "MustUnderstand")
DATA_ENCODING_UNKNOWN = qname(SOAP_ENV, "DataEncodingUnknown")


class SoapFault(OnvifError):  # noqa: N818  # named after the SOAP element
    """A SOAP fault: code, subcodes (outermost first, Clark notation), reason, detail.

    Raised by the client when a device answers with a fault; raised by server code to make
    :func:`callpoint.codecs.soap.build_fault` answer with one.
    """

    default_code: ClassVar[str] = RECEIVER
    default_subcodes: ClassVar[tuple[str, ...]] = ()
    default_reason: ClassVar[str] = "SOAP fault"

    def __init__(
        self,
        reason: str | None = None,
        *,
        code: str | None = None,
        subcodes: Sequence[str] | None = None,
        detail: str | None = None,
    ) -> None:
        self.code: str = code if code is not None else self.default_code
        self.subcodes: tuple[str, ...] = (
            tuple(subcodes) if subcodes is not None else self.default_subcodes
        )
        self.reason: str = reason if reason is not None else self.default_reason
        # Clark name of the first Detail child (e.g. a WS-ResourceFramework fault), if any.
        self.detail: str | None = detail
        super().__init__(self.reason)

    @property
    def http_status(self) -> int:
        """The HTTP status a server sends with this fault (SOAP 1.2 HTTP binding)."""
        return 400 if self.code == SENDER else 500

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(reason={self.reason!r}, code={self.code!r}, "
            f"subcodes={self.subcodes!r}, detail={self.detail!r})"
        )

    def __str__(self) -> str:
        subs = "/".join(s.rpartition("}")[2] for s in self.subcodes)
        code = self.code.rpartition("}")[2]
        return f"{code}{'/' + subs if subs else ''}: {self.reason}"


class SenderFault(SoapFault):
    """A fault blaming the request (``env:Sender``)."""

    default_code = SENDER


class ReceiverFault(SoapFault):
    """A fault on the device's side (``env:Receiver``)."""

    default_code = RECEIVER


class VersionMismatchFault(SoapFault):
    """The envelope was not SOAP 1.2 (``env:VersionMismatch``)."""

    default_code = VERSION_MISMATCH
    default_reason = "Only SOAP 1.2 is supported"


class MustUnderstandFault(SoapFault):
    """A header marked mustUnderstand was not understood (``env:MustUnderstand``)."""

    default_code = MUST_UNDERSTAND
    default_reason = "Header not understood"


class WellFormedFault(SenderFault):
    """The request was not well-formed XML (``ter:WellFormed``)."""

    default_subcodes = (qname(TER, "WellFormed"),)
    default_reason = "Malformed XML"


class NotAuthorizedFault(SenderFault):
    """Authentication failed or the user may not do this (``ter:NotAuthorized``)."""

    default_subcodes = (qname(TER, "NotAuthorized"),)
    default_reason = "Sender not Authorized"


class InvalidArgsFault(SenderFault):
    """An argument was missing or wrong (``ter:InvalidArgs`` / ``ter:InvalidArgVal``)."""

    default_subcodes = (qname(TER, "InvalidArgVal"),)
    default_reason = "Argument value invalid"


class OperationProhibitedFault(SenderFault):
    """The request is valid but not allowed now (``ter:OperationProhibited``)."""

    default_subcodes = (qname(TER, "OperationProhibited"),)
    default_reason = "Operation prohibited"


class ActionNotSupportedFault(ReceiverFault):
    """The device does not implement this operation (``ter:ActionNotSupported``)."""

    default_subcodes: ClassVar[tuple[str, ...]] = (qname(TER, "ActionNotSupported"),)
    default_reason = "Optional Action Not Implemented"


class NoSuchServiceFault(ActionNotSupportedFault):
    """The addressed service does not exist on the device (``ter:NoSuchService``)."""

    default_subcodes = (qname(TER, "ActionNotSupported"), qname(TER, "NoSuchService"))
    default_reason = "No such service"


class ResourceUnknownFault(SoapFault):
    """A subscription or other WS-RF resource is gone (``wsrf-r:ResourceUnknownFault``).

    Devices that rebooted and forgot a PullPoint answer with this (WS-BaseNotification).
    """

    default_reason = "Resource unknown"


# Subcode local name -> class. Matched by local name because devices put these subcodes in
# namespaces of their own or leave the ter: prefix undeclared; the deepest match wins.
_SUBCODE_CLASSES: dict[str, type[SoapFault]] = {
    "WellFormed": WellFormedFault,
    "NotAuthorized": NotAuthorizedFault,
    "InvalidArgs": InvalidArgsFault,
    "InvalidArgVal": InvalidArgsFault,
    "OperationProhibited": OperationProhibitedFault,
    "ActionNotSupported": ActionNotSupportedFault,
    "NoSuchService": NoSuchServiceFault,
    "ResourceUnknownFault": ResourceUnknownFault,
}
_CODE_CLASSES: dict[str, type[SoapFault]] = {
    SENDER: SenderFault,
    RECEIVER: ReceiverFault,
    VERSION_MISMATCH: VersionMismatchFault,
    MUST_UNDERSTAND: MustUnderstandFault,
}


def fault_class(code: str, subcodes: Sequence[str], detail: str | None = None) -> type[SoapFault]:
    """The most specific :class:`SoapFault` subclass for a code, subcodes and detail."""
    for sub in reversed(subcodes):
        cls = _SUBCODE_CLASSES.get(sub.rpartition("}")[2].rpartition(":")[2])
        if cls is not None:
            return cls
    if detail is not None and detail.rpartition("}")[2] == "ResourceUnknownFault":
        return ResourceUnknownFault
    return _CODE_CLASSES.get(code, SoapFault)


def make_fault(
    code: str, subcodes: Sequence[str], reason: str, detail: str | None = None
) -> SoapFault:
    """Build the typed fault for what a peer sent."""
    cls = fault_class(code, subcodes, detail)
    return cls(reason, code=code, subcodes=subcodes, detail=detail)
