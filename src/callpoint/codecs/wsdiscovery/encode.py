"""WS-Discovery messages to bytes (pure): SOAP 1.2 with WS-Addressing 2004/08 headers,
as ONVIF Core 7.3 asks. Prefixes follow the ones ONVIF tools use (a, d, dn, tds)."""

from __future__ import annotations

from lxml import etree

from callpoint.codecs.wsdiscovery import messages as m
from callpoint.onvif.errors import LocalProtocolError
from callpoint.onvif.namespaces import DN, SOAP_ENV, TDS, WSA_2004, WSD, qname

# A UDP datagram cannot be larger; a discovery message is 1-3 KB.
MAX_MESSAGE_BYTES = 65_507
_PREFIXES = {WSA_2004: "a", WSD: "d", DN: "dn", TDS: "tds"}
_NSMAP = {prefix: ns for ns, prefix in _PREFIXES.items()}
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_ACTIONS: dict[type[m.Message], str] = {
    m.Probe: m.ACTION_PROBE,
    m.ProbeMatches: m.ACTION_PROBE_MATCHES,
    m.Hello: m.ACTION_HELLO,
    m.Bye: m.ACTION_BYE,
    m.Resolve: m.ACTION_RESOLVE,
    m.ResolveMatches: m.ACTION_RESOLVE_MATCHES,
}
_MUST_UNDERSTAND = qname(SOAP_ENV, "mustUnderstand")


def _sub(parent: etree._Element, ns: str, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, qname(ns, name))
    element.text = text
    return element


def _types_text(types: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    # Namespaces of the envelope are declared on it; others get a prefix on Types itself.
    nsmap: dict[str, str] = {}
    words = []
    for clark in types:
        if not clark.startswith("{") or "}" not in clark:
            raise LocalProtocolError(f"type {clark!r} is not a Clark QName")
        ns, _, name = clark[1:].partition("}")
        prefix = _PREFIXES.get(ns) or next((p for p, u in nsmap.items() if u == ns), None)
        if prefix is None:
            prefix = f"t{len(nsmap)}"
            nsmap[prefix] = ns
        words.append(f"{prefix}:{name}")
    return " ".join(words), nsmap


def _append_types(parent: etree._Element, types: tuple[str, ...]) -> None:
    if types:
        text, nsmap = _types_text(types)
        element = etree.SubElement(parent, qname(WSD, "Types"), nsmap=nsmap)
        element.text = text


def _check_words(values: tuple[str, ...], what: str) -> str:
    for value in values:
        if not value or any(ch.isspace() for ch in value):
            raise LocalProtocolError(f"{what} {value!r} is empty or contains white space")
    return " ".join(values)


def _endpoint_into(parent: etree._Element, endpoint: m.Endpoint, *, full: bool = True) -> None:
    epr = etree.SubElement(parent, qname(WSA_2004, "EndpointReference"))
    _sub(epr, WSA_2004, "Address", endpoint.address)
    _append_types(parent, endpoint.types)
    if endpoint.scopes:
        _sub(parent, WSD, "Scopes", _check_words(endpoint.scopes, "scope"))
    if endpoint.xaddrs:
        _sub(parent, WSD, "XAddrs", _check_words(endpoint.xaddrs, "XAddr"))
    if full:
        _sub(parent, WSD, "MetadataVersion", str(endpoint.metadata_version))


def _body(parent: etree._Element, message: m.Message) -> None:
    body = etree.SubElement(parent, qname(WSD, type(message).__name__))
    match message:
        case m.Probe(types, scopes, match_by):
            _append_types(body, types)
            if scopes:
                element = _sub(body, WSD, "Scopes", _check_words(scopes, "scope"))
                if match_by != m.MATCH_BY_RFC3986:
                    element.set("MatchBy", match_by)
        case m.ProbeMatches(matches=matches):
            for endpoint in matches:
                _endpoint_into(etree.SubElement(body, qname(WSD, "ProbeMatch")), endpoint)
        case m.Hello(endpoint=endpoint):
            _endpoint_into(body, endpoint)
        case m.Bye(endpoint=endpoint):
            _endpoint_into(body, endpoint, full=False)
        case m.Resolve(address):
            epr = etree.SubElement(body, qname(WSA_2004, "EndpointReference"))
            _sub(epr, WSA_2004, "Address", address)
        case m.ResolveMatches(match=match):
            if match is not None:
                _endpoint_into(etree.SubElement(body, qname(WSD, "ResolveMatch")), match)


def encode(message: m.Message) -> bytes:
    """The SOAP envelope of `message`, ready for one UDP datagram."""
    # Every prefix is declared once on the Envelope, as ONVIF tools do: some devices
    # parse discovery with string matching and miss declarations further down.
    envelope = etree.Element(qname(SOAP_ENV, "Envelope"), nsmap={"s": SOAP_ENV, **_NSMAP})
    header = etree.SubElement(envelope, qname(SOAP_ENV, "Header"))
    reply = isinstance(message, m.ProbeMatches | m.ResolveMatches)
    _sub(header, WSA_2004, "Action", _ACTIONS[type(message)]).set(_MUST_UNDERSTAND, "true")
    _sub(header, WSA_2004, "MessageID", message.message_id)
    to = m.TO_ANONYMOUS if reply else m.TO_DISCOVERY
    _sub(header, WSA_2004, "To", to).set(_MUST_UNDERSTAND, "true")
    if isinstance(message, m.ProbeMatches | m.ResolveMatches):
        _sub(header, WSA_2004, "RelatesTo", message.relates_to)
    sequence = getattr(message, "app_sequence", None)
    if isinstance(sequence, m.AppSequence):
        element = etree.SubElement(header, qname(WSD, "AppSequence"))
        element.set("InstanceId", str(sequence.instance_id))
        element.set("MessageNumber", str(sequence.message_number))
        if sequence.sequence_id is not None:
            element.set("SequenceId", sequence.sequence_id)
    _body(etree.SubElement(envelope, qname(SOAP_ENV, "Body")), message)
    data = _XML_DECLARATION + etree.tostring(envelope, encoding="utf-8")
    if len(data) > MAX_MESSAGE_BYTES:
        raise LocalProtocolError(f"{type(message).__name__} of {len(data)} bytes won't fit UDP")
    return data
