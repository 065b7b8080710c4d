"""One SOAP exchange, without a web framework: bytes and headers in, status and bytes out.

`handle_soap` parses, finds the operation, authenticates, runs the handler and turns every
failure into the SOAP fault ONVIF Core prescribes. host.py is only the aiohttp adapter
around it, so tests can feed recorded requests straight in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from callpoint.codecs.soap import Envelope, build_envelope, build_fault, parse_envelope
from callpoint.onvif.errors import (
    ActionNotSupportedFault,
    MustUnderstandFault,
    NotAuthorizedFault,
    RemoteProtocolError,
    SoapFault,
    VersionMismatchFault,
    WellFormedFault,
)
from callpoint.onvif.httpdigest import DigestAuthError
from callpoint.onvif.namespaces import SOAP_ENV, WSA, WSSE, qname

# Importing the service modules registers their handlers in REGISTRY.
from callpoint.onvif.server import (  # noqa: F401
    capabilities,
    svc_access,
    svc_device,
    svc_events,
    svc_imaging,
    svc_io,
    svc_media,
    svc_ptz,
)
from callpoint.onvif.server.auth import (
    NoCredentialsError,
    authenticate,
    challenge,
    has_credentials,
)
from callpoint.onvif.server.device_errors import DeviceError
from callpoint.onvif.server.dispatch import REGISTRY, AccessClass, Reply, Request, Service, allowed
from callpoint.onvif.server.faults import fault_for
from callpoint.onvif.server.runtime import DeviceRuntime

log = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
_UNDERSTOOD_HEADER_NAMESPACES = frozenset({WSSE, WSA})
TOO_MANY_FAILURES = "too many failed logins from this address: try again later"


@dataclass(frozen=True, slots=True)
class SoapExchange:
    """What arrived: the device's service, the HTTP facts auth needs, and the body."""

    service: Service
    data: bytes
    base_url: str
    method: str = "POST"
    path_qs: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    subscription_id: str | None = None
    peer: str = ""  # the client's address: failed logins are throttled per peer


@dataclass(frozen=True, slots=True)
class SoapResponse:
    """What to send back."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


async def handle_soap(runtime: DeviceRuntime, exchange: SoapExchange) -> SoapResponse:
    """Answer one request to one device; never raises for anything the peer sent."""
    try:
        envelope = parse_envelope(exchange.data)
    except RemoteProtocolError as exc:
        # Logged once per device, then counted: a flood must not flood the log.
        runtime.malformed_requests += 1
        if runtime.malformed_requests == 1:
            log.warning("malformed SOAP request to %s: %s", runtime.device.device_id, exc)
        return fault_response(WellFormedFault(str(exc)))
    if envelope.soap_version != "1.2":
        return fault_response(VersionMismatchFault())
    if envelope.body is None:
        return fault_response(WellFormedFault("empty SOAP body"))
    not_understood = _not_understood(envelope)
    if not_understood:
        return fault_response(MustUnderstandFault(f"header {not_understood} not understood"))
    op = REGISTRY.lookup(exchange.service, str(envelope.body.tag))
    if op is None:
        return fault_response(ActionNotSupportedFault(f"{envelope.body.tag} is not supported"))
    user: str | None = None
    if op.access is not AccessClass.PRE_AUTH:
        throttle = runtime.throttle
        if (
            throttle is not None
            and has_credentials(envelope, exchange.headers)
            and not await throttle.admit(exchange.peer)
        ):
            return fault_response(NotAuthorizedFault(TOO_MANY_FAILURES))
        try:
            user = authenticate(
                runtime, envelope, exchange.headers, exchange.method, exchange.path_qs
            )
        except DigestAuthError as exc:
            _auth_failed(runtime, exc, exchange.peer)
            response = fault_response(exc)
            challenge_header = {"WWW-Authenticate": challenge(runtime, stale=exc.stale)}
            return SoapResponse(response.status, response.body, challenge_header)
        except NotAuthorizedFault as exc:
            _auth_failed(runtime, exc, exchange.peer)
            return fault_response(exc)
        if throttle is not None:
            throttle.succeeded(exchange.peer)
        if not allowed(runtime.level_of(user), op.access):
            return fault_response(NotAuthorizedFault(f"user level may not use {op.access}"))
    request = Request(runtime, envelope.body, exchange.base_url, exchange.subscription_id, user)
    try:
        reply = await op.handler(request)
    except SoapFault as fault:
        return fault_response(fault)
    except DeviceError as exc:
        return fault_response(fault_for(exc))
    return SoapResponse(200, build_envelope(reply.body, _reply_headers(reply, envelope)))


def fault_response(fault: SoapFault) -> SoapResponse:
    """A SOAP 1.2 fault with the HTTP status its code calls for."""
    return SoapResponse(fault.http_status, build_fault(fault))


def _auth_failed(runtime: DeviceRuntime, exc: SoapFault, peer: str) -> None:
    if isinstance(exc, NoCredentialsError):
        return  # the first request of every HTTP Digest client
    runtime.auth_failures += 1
    if runtime.throttle is not None:  # counts per peer, slows the next guess, logs sparsely
        runtime.throttle.failed(peer, runtime.device.device_id, exc.reason)
    elif runtime.auth_failures == 1:
        # Logged once per device, then counted: a client retrying forever must not flood logs.
        log.warning("ONVIF auth refused on %s: %s", runtime.device.device_id, exc.reason)


def _not_understood(envelope: Envelope) -> str | None:
    for header in envelope.headers:
        flag = header.get(qname(SOAP_ENV, "mustUnderstand"), "")
        if flag in ("1", "true") and etree.QName(header).namespace not in (
            _UNDERSTOOD_HEADER_NAMESPACES
        ):
            return str(header.tag)
    return None


def _reply_headers(reply: Reply, request: Envelope) -> list[etree._Element]:
    headers: list[etree._Element] = []
    if reply.action is not None:
        action = etree.Element(qname(WSA, "Action"), nsmap={"wsa": WSA})
        action.text = reply.action
        headers.append(action)
        message_id = request.header(WSA, "MessageID")
        if message_id is not None and message_id.text:
            relates = etree.Element(qname(WSA, "RelatesTo"), nsmap={"wsa": WSA})
            relates.text = message_id.text.strip()
            headers.append(relates)
    return headers
