"""Small helpers to build response elements and read request arguments.

Requests are read by local name among the operation element's children: clients agree on
the namespace URIs but the argument elements are all in the operation's namespace anyway,
and a tolerant reader costs nothing here. A missing or malformed required argument is the
client's fault: ter:InvalidArgVal.
"""

from __future__ import annotations

from lxml import etree

from callpoint.onvif.errors import InvalidArgsFault
from callpoint.onvif.namespaces import NSMAP, TER, qname

#: Namespaces declared once on every response element, so children need no declarations.
RESPONSE_NSMAP = {k: v for k, v in NSMAP.items() if k not in ("s", "wsse", "wsu", "wsd", "dn")}


def root(ns: str, local: str) -> etree._Element:
    """A response (or request) element carrying the usual prefixes."""
    return etree.Element(qname(ns, local), nsmap=RESPONSE_NSMAP)


def sub(
    parent: etree._Element,
    ns: str,
    local: str,
    text: str | None = None,
    **attrs: str,
) -> etree._Element:
    """Append a child `{ns}local` with optional text and attributes; returns it."""
    el = etree.SubElement(parent, qname(ns, local), attrs)
    if text is not None:
        el.text = text
    return el


def xbool(value: bool) -> str:
    """xs:boolean text."""
    return "true" if value else "false"


def xfloat(value: float) -> str:
    """xs:float text without needless digits."""
    return f"{value:.6g}"


def child(el: etree._Element, local: str) -> etree._Element | None:
    """The first direct child with this local name, in any namespace."""
    for c in el:
        if isinstance(c.tag, str) and etree.QName(c).localname == local:
            return c
    return None


def opt_text(el: etree._Element, local: str) -> str | None:
    """Stripped text of an optional child argument (None if absent)."""
    c = child(el, local)
    if c is None:
        return None
    return (c.text or "").strip()


def req_text(el: etree._Element, local: str) -> str:
    """Stripped text of a required child argument; ter:InvalidArgVal when missing/empty."""
    value = opt_text(el, local)
    if not value:
        raise InvalidArgsFault(f"missing argument {local}", subcodes=(qname(TER, "InvalidArgVal"),))
    return value


def parse_bool(text: str, name: str) -> bool:
    """xs:boolean from a request; ter:InvalidArgVal otherwise."""
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise InvalidArgsFault(f"{name} is not an xs:boolean: {text!r}")
