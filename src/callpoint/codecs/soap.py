"""SOAP 1.2 envelopes: build them, parse them, turn faults into exceptions and back.

Pure functions over bytes and lxml elements (no I/O). SOAP 1.2 part 1 (W3C, 2007) is the
reference; a SOAP 1.1 envelope is parsed too, because some devices fault in 1.1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from callpoint.onvif.errors import RemoteProtocolError, SoapFault, make_fault
from callpoint.onvif.namespaces import SOAP11_ENV, SOAP_ENV, TER, WSA, XML, qname
from callpoint.onvif.xmlsafe import parse_xml

_ENVELOPE = qname(SOAP_ENV, "Envelope")
_HEADER, _BODY = qname(SOAP_ENV, "Header"), qname(SOAP_ENV, "Body")
_HEADER11, _BODY11 = qname(SOAP11_ENV, "Header"), qname(SOAP11_ENV, "Body")
_WSA_ACTION = qname(WSA, "Action")
_FAULT = qname(SOAP_ENV, "Fault")
_FAULTS = (_FAULT, qname(SOAP11_ENV, "Fault"))
_ENVELOPE11 = qname(SOAP11_ENV, "Envelope")
_XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed SOAP envelope.

    ``body`` is the first element child of ``Body`` (``None`` for an empty body, which a
    one-way reply may have); ``action`` is the WS-Addressing ``Action`` header if present.
    """

    headers: tuple[etree._Element, ...]
    body: etree._Element | None
    action: str | None
    soap_version: str = "1.2"

    @property
    def is_fault(self) -> bool:
        """True if the body is a SOAP fault (1.2 or 1.1)."""
        return self.body is not None and self.body.tag in _FAULTS

    def header(self, ns: str, local: str) -> etree._Element | None:
        """The first header block named ``{ns}local``, if any."""
        tag = qname(ns, local)
        for h in self.headers:
            if h.tag == tag:
                return h
        return None


_ENV_OPEN = b'<s:Envelope xmlns:s="' + SOAP_ENV.encode() + b'">'
_ENV_CLOSE = b"</s:Envelope>"


def _xml(part: etree._Element | bytes) -> bytes:
    if isinstance(part, bytes):
        return part
    return etree.tostring(part, encoding="utf-8", xml_declaration=False, with_tail=False)


def build_envelope(
    body: etree._Element | bytes | None, headers: Iterable[etree._Element | bytes] = ()
) -> bytes:
    """Serialise a SOAP 1.2 envelope around ``body`` with the given header blocks.

    Parts are elements (serialised standalone, so each declares the namespaces it uses)
    or bytes of one well-formed element (the caller's promise; the fast path for templates).
    The elements are not modified or moved.
    """
    out = [_XML_DECL, _ENV_OPEN]
    blocks = [_xml(h) for h in headers]
    if blocks:
        out.append(b"<s:Header>")
        out.extend(blocks)
        out.append(b"</s:Header>")
    if body is None:
        out.append(b"<s:Body/>")
    else:
        out += [b"<s:Body>", _xml(body), b"</s:Body>"]
    out.append(_ENV_CLOSE)
    return b"".join(out)


_SIGNED_OPEN = _XML_DECL + _ENV_OPEN + b"<s:Header>"
_SIGNED_BODY = b"</s:Header><s:Body>"
_SIGNED_CLOSE = b"</s:Body>" + _ENV_CLOSE


def build_envelope_bytes(body: bytes, header: bytes) -> bytes:
    """``build_envelope(body, [header])`` for one serialised header block and a body:
    the per-call path of an authenticated request, the same bytes (a test checks it)."""
    return b"".join((_SIGNED_OPEN, header, _SIGNED_BODY, body, _SIGNED_CLOSE))


def parse_envelope(data: bytes) -> Envelope:
    """Parse a SOAP envelope from bytes; :class:`RemoteProtocolError` if it is not one."""
    root = parse_xml(data)
    tag = root.tag
    if tag == _ENVELOPE:
        ns, header_tag, body_tag = SOAP_ENV, _HEADER, _BODY
    elif tag == _ENVELOPE11:
        ns, header_tag, body_tag = SOAP11_ENV, _HEADER11, _BODY11
    else:
        raise RemoteProtocolError(f"not a SOAP envelope: root element is {tag!r}")
    headers: tuple[etree._Element, ...] = ()
    body: etree._Element | None = None
    seen_body = False
    # Element children only (the parser drops comments and PIs; entities stay unexpanded).
    for child in root.iterchildren(tag=etree.Element):
        ctag = child.tag
        if ctag == header_tag and not seen_body:
            headers = tuple(child.iterchildren(tag=etree.Element))
        elif ctag == body_tag and not seen_body:
            seen_body = True
            body = next(child.iterchildren(tag=etree.Element), None)
        else:
            raise RemoteProtocolError(f"unexpected element {ctag!r} in SOAP envelope")
    if not seen_body:
        raise RemoteProtocolError("SOAP envelope has no Body")
    action = None
    for h in headers:
        if h.tag == _WSA_ACTION:
            action = (h.text or "").strip()
            break
    return Envelope(headers, body, action, "1.2" if ns == SOAP_ENV else "1.1")


def _resolve_qname(el: etree._Element, text: str | None) -> str:
    """Resolve a QName-valued element text (``ter:NotAuthorized``) to Clark notation."""
    value = (text or "").strip()
    prefix, sep, local = value.rpartition(":")
    if not sep:
        ns = el.nsmap.get(None)
        return qname(ns, value) if ns else value
    ns = el.nsmap.get(prefix)
    if ns is None:
        # Quirk: devices send ter: subcodes without declaring the prefix. Known prefixes
        # resolve as their usual namespaces; others keep the raw text.
        ns = {"ter": TER, "env": SOAP_ENV, "s": SOAP_ENV, "soap": SOAP_ENV}.get(prefix)
        if ns is None:
            return value
    return qname(ns, local)


def parse_fault(fault: etree._Element) -> SoapFault:
    """Turn a ``Fault`` element (SOAP 1.2 or 1.1) into the typed :class:`SoapFault`."""
    ns = etree.QName(fault).namespace
    if ns == SOAP11_ENV:
        code = _resolve_qname(fault, fault.findtext("faultcode"))
        reason = (fault.findtext("faultstring") or "").strip()
        detail_el = fault.find("detail")
        subcodes: list[str] = []
    else:
        code_el = fault.find(qname(SOAP_ENV, "Code"))
        if code_el is None:
            raise RemoteProtocolError("SOAP fault without Code")
        value = code_el.find(qname(SOAP_ENV, "Value"))
        code = _resolve_qname(value, value.text) if value is not None else ""
        subcodes = []
        sub = code_el.find(qname(SOAP_ENV, "Subcode"))
        # Bounded by the parser's depth limit; each Subcode nests one level deeper.
        while sub is not None:
            sv = sub.find(qname(SOAP_ENV, "Value"))
            if sv is not None:
                subcodes.append(_resolve_qname(sv, sv.text))
            sub = sub.find(qname(SOAP_ENV, "Subcode"))
        texts = fault.findall(f"{qname(SOAP_ENV, 'Reason')}/{qname(SOAP_ENV, 'Text')}")
        # Prefer the English text; any text beats none.
        english = [t for t in texts if t.get(qname(XML, "lang"), "en").startswith("en")]
        chosen = english or texts
        reason = (chosen[0].text or "").strip() if chosen else ""
        detail_el = fault.find(qname(SOAP_ENV, "Detail"))
    detail = None
    if detail_el is not None:
        first = next((d for d in detail_el if isinstance(d.tag, str)), None)
        if first is not None:
            detail = str(first.tag)
    return make_fault(code, subcodes, reason, detail)


def raise_for_fault(envelope: Envelope) -> None:
    """Raise the typed :class:`SoapFault` if the envelope carries a fault."""
    if envelope.is_fault and envelope.body is not None:
        raise parse_fault(envelope.body)


def build_fault(fault: SoapFault, headers: Iterable[etree._Element] = ()) -> bytes:
    """Serialise ``fault`` as a SOAP 1.2 fault envelope (server side)."""
    nsmap: dict[str, str] = {"s": SOAP_ENV, "ter": TER}
    prefixes = {SOAP_ENV: "s", TER: "ter"}

    def as_text(clark: str) -> str:
        ns, sep, local = clark[1:].partition("}") if clark.startswith("{") else ("", "", clark)
        if not sep:
            return clark
        if ns not in prefixes:
            prefixes[ns] = f"ns{len(prefixes)}"
            nsmap[prefixes[ns]] = ns
        return f"{prefixes[ns]}:{local}"

    code_text = as_text(fault.code)
    sub_texts = [as_text(s) for s in fault.subcodes]
    el = etree.Element(_FAULT, nsmap=nsmap)
    code = etree.SubElement(el, qname(SOAP_ENV, "Code"))
    etree.SubElement(code, qname(SOAP_ENV, "Value")).text = code_text
    parent = code
    for text in sub_texts:
        parent = etree.SubElement(parent, qname(SOAP_ENV, "Subcode"))
        etree.SubElement(parent, qname(SOAP_ENV, "Value")).text = text
    reason = etree.SubElement(el, qname(SOAP_ENV, "Reason"))
    text_el = etree.SubElement(reason, qname(SOAP_ENV, "Text"))
    text_el.set(qname(XML, "lang"), "en")
    text_el.text = fault.reason
    return build_envelope(el, headers)
