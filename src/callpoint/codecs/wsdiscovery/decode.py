"""WS-Discovery messages from bytes (pure).

Lenient where devices are known to stray: EndpointReference in the discovery namespace
and a bare ProbeMatch body (ipycam), no AppSequence, ``dn:`` or ``tds:`` prefixes left
undeclared, the 2009/01 namespace of WS-Discovery 1.1, white space around values. Strict
where a message would be useless: no MessageID, no endpoint address, absurd sizes. Every
failure is a `RemoteProtocolError` raised from its cause.
"""

from __future__ import annotations

from lxml import etree

from callpoint.codecs.soap import parse_envelope
from callpoint.codecs.wsdiscovery import messages as m
from callpoint.codecs.wsdiscovery.encode import MAX_MESSAGE_BYTES
from callpoint.onvif.errors import RemoteProtocolError
from callpoint.onvif.namespaces import NSMAP, WSD, qname
from callpoint.onvif.xmlutil import child, children, local

# A camera lists a few of each; more than this is not a camera.
MAX_ITEMS = 64
WSD_2009 = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"
_WSD_NAMESPACES = (WSD, WSD_2009)


def _words(parent: etree._Element, name: str) -> tuple[str, ...]:
    element = child(parent, name)
    values = tuple((element.text or "").split()) if element is not None else ()
    if len(values) > MAX_ITEMS:
        raise RemoteProtocolError(f"{name} lists more than {MAX_ITEMS} items")
    return values


def _types(parent: etree._Element) -> tuple[str, ...]:
    element = child(parent, "Types")
    if element is None:
        return ()
    resolved = []
    for word in _words(parent, "Types"):
        prefix, sep, name = word.rpartition(":")
        namespace = element.nsmap.get(prefix if sep else None)
        if namespace is None and sep:
            namespace = NSMAP.get(prefix)  # an undeclared conventional prefix
        if namespace is None:
            raise RemoteProtocolError(f"type {word!r} has an undeclared prefix")
        resolved.append(qname(namespace, name))
    return tuple(resolved)


def _address(parent: etree._Element) -> str:
    epr = child(parent, "EndpointReference")
    address = child(epr, "Address") if epr is not None else None
    text = (address.text or "").strip() if address is not None else ""
    if not text:
        raise RemoteProtocolError(f"{local(parent)} has no EndpointReference/Address")
    return text


def _endpoint(parent: etree._Element) -> m.Endpoint:
    version_text = (getattr(child(parent, "MetadataVersion"), "text", None) or "1").strip()
    try:
        version = int(version_text)
    except ValueError as exc:
        raise RemoteProtocolError(f"MetadataVersion {version_text!r} is not a number") from exc
    return m.Endpoint(
        address=_address(parent),
        types=_types(parent),
        scopes=_words(parent, "Scopes"),
        xaddrs=_words(parent, "XAddrs"),
        metadata_version=version,
    )


def _header_text(headers: tuple[etree._Element, ...], name: str) -> str | None:
    for header in headers:
        if local(header) == name:
            return (header.text or "").strip()
    return None


def _app_sequence(headers: tuple[etree._Element, ...]) -> m.AppSequence | None:
    element = next((h for h in headers if local(h) == "AppSequence"), None)
    if element is None:
        return None
    try:
        return m.AppSequence(
            instance_id=int(element.get("InstanceId", "")),
            message_number=int(element.get("MessageNumber", "")),
            sequence_id=element.get("SequenceId"),
        )
    except ValueError as exc:
        raise RemoteProtocolError("AppSequence lacks numeric InstanceId/MessageNumber") from exc


def decode(data: bytes) -> m.Message:
    """Parse one WS-Discovery datagram; raises `RemoteProtocolError`."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise RemoteProtocolError(f"datagram of {len(data)} bytes is too large")
    envelope = parse_envelope(data)
    body = envelope.body
    if body is None or etree.QName(body).namespace not in _WSD_NAMESPACES:
        raise RemoteProtocolError("not a WS-Discovery message")
    message_id = _header_text(envelope.headers, "MessageID")
    if not message_id:
        raise RemoteProtocolError("WS-Discovery message without MessageID")
    relates_to = _header_text(envelope.headers, "RelatesTo") or ""
    sequence = _app_sequence(envelope.headers)
    match local(body):
        case "Probe":
            scopes = child(body, "Scopes")
            match_by = scopes.get("MatchBy") if scopes is not None else None
            return m.Probe(
                types=_types(body),
                scopes=_words(body, "Scopes"),
                match_by=(match_by or "").strip() or m.MATCH_BY_RFC3986,
                message_id=message_id,
            )
        case "ProbeMatches":
            found = children(body, "ProbeMatch")
            if len(found) > MAX_ITEMS:
                raise RemoteProtocolError(f"more than {MAX_ITEMS} ProbeMatch elements")
            matches = tuple(_endpoint(match) for match in found)
            return m.ProbeMatches(relates_to, matches, sequence, message_id)
        case "ProbeMatch":  # ipycam 1.3 sends the match without its ProbeMatches wrapper
            return m.ProbeMatches(relates_to, (_endpoint(body),), sequence, message_id)
        case "Hello":
            return m.Hello(_endpoint(body), sequence, message_id)
        case "Bye":
            return m.Bye(_endpoint(body), sequence, message_id)
        case "Resolve":
            return m.Resolve(_address(body), message_id)
        case "ResolveMatches":
            match = child(body, "ResolveMatch")
            endpoint = _endpoint(match) if match is not None else None
            return m.ResolveMatches(relates_to, endpoint, sequence, message_id)
        case other:
            raise RemoteProtocolError(f"unknown WS-Discovery message {other!r}")
