"""Hardened XML parsing for everything a peer sends us.

Peers are untrusted: no entity expansion, no DTD, no network access, no "huge tree" mode
(libxml2 then caps depth and text node size), and a byte limit checked before parsing.
Every failure surfaces as :class:`RemoteProtocolError`, raised from the lxml exception.
"""

from __future__ import annotations

import threading

from lxml import etree

from callpoint.onvif.errors import RemoteProtocolError

MAX_SOAP_BYTES = 4 * 1024 * 1024
"""Largest SOAP message accepted, in bytes. GetEventProperties replies of busy cameras reach
a few hundred KB; anything past 4 MiB is not a reply we want to hold in memory."""

# A DOCTYPE has no business in SOAP (SOAP 1.2 part 1, section 5: "MUST NOT contain a
# Document Type Declaration"); refusing it up front also shuts out entity tricks.
_DOCTYPE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")

_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parser objects must not be shared between threads; one per thread is cheap.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            collect_ids=False,
            remove_comments=True,
            remove_pis=True,
        )
        _local.parser = parser
    return parser


def parse_xml(data: bytes, *, max_bytes: int = MAX_SOAP_BYTES) -> etree._Element:
    """Parse ``data`` into its root element, or raise :class:`RemoteProtocolError`."""
    if type(data) is bytes:
        raw = data  # the usual case: no copy
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise TypeError(f"parse_xml takes bytes, not {type(data).__name__}")
    if len(raw) > max_bytes:
        raise RemoteProtocolError(f"XML message of {len(raw)} bytes exceeds {max_bytes}")
    if not raw or raw.isspace():
        raise RemoteProtocolError("empty XML message")
    # One scan for "<!" (rare in replies: comments, CDATA), the precise ones only then.
    if b"<!" in raw and any(marker in raw for marker in _DOCTYPE_MARKERS):
        raise RemoteProtocolError("XML message carries a DTD, which SOAP forbids")
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.LxmlError as exc:
        raise RemoteProtocolError(f"malformed XML: {exc}") from exc
    except (ValueError, UnicodeError) as exc:
        raise RemoteProtocolError(f"undecodable XML: {exc}") from exc
    if root is None:
        raise RemoteProtocolError("XML message has no root element")
    # The byte scan misses a DOCTYPE in a UTF-16 or UTF-32 document; the parser does not.
    docinfo = root.getroottree().docinfo
    # DocInfo.doctype is missing from lxml-stubs, hence getattr.
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        raise RemoteProtocolError("XML message carries a DTD, which SOAP forbids")
    return root
