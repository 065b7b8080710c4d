"""Parsing RFC 5424 messages: for tests, receivers and round trips of our own output."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from callpoint.codecs.syslog import (
    BOM,
    MAX_APP_NAME,
    MAX_HOSTNAME,
    MAX_MSGID,
    MAX_PROCID,
    NILVALUE,
    RemoteProtocolError,
    SDElement,
    Severity,
    SyslogMessage,
)

# Largest message we parse (bytes); RFC 5424 section 6.1 lets receivers set a limit.
MAX_MESSAGE_OCTETS: Final = 64 * 1024

_HEADER = re.compile(
    rb"<(0|[1-9][0-9]{0,2})>1 ([\x21-\x7e]+) ([\x21-\x7e]{1,255}) ([\x21-\x7e]{1,48})"
    rb" ([\x21-\x7e]{1,128}) ([\x21-\x7e]{1,32}) "
)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_SD_NAME = re.compile(rb"[\x21-\x3c\x3e-\x5c\x5e-\x7e]{1,32}")  # PRINTUSASCII minus = ] "


def _field(raw: bytes, limit: int) -> str | None:
    text = raw.decode("ascii")
    if text == NILVALUE:
        return None
    if len(text) > limit or not all("\x21" <= c <= "\x7e" for c in text):
        raise RemoteProtocolError(f"bad header field {text[:40]!r}")
    return text


def _timestamp(raw: bytes) -> datetime | None:
    text = raw.decode("ascii")
    if text == NILVALUE:
        return None
    if not _TIMESTAMP.fullmatch(text):
        raise RemoteProtocolError(f"bad TIMESTAMP {text[:40]!r}")
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise RemoteProtocolError(f"bad TIMESTAMP {text!r}") from exc


def _name(data: bytes, pos: int) -> tuple[str, int]:
    m = _SD_NAME.match(data, pos)
    if m is None:
        raise RemoteProtocolError(f"bad SD-NAME at octet {pos}")
    return m.group().decode("ascii"), m.end()


def _value(data: bytes, pos: int) -> tuple[str, int]:
    """PARAM-VALUE after its opening quote; returns the text and the position after `"`."""
    out = bytearray()
    while pos < len(data):
        c = data[pos]
        if c == 0x5C and pos + 1 < len(data) and data[pos + 1] in b'"\\]':
            out.append(data[pos + 1])  # section 6.3.3: only these three are escapes
            pos += 2
        elif c == 0x22:
            try:
                return out.decode("utf-8"), pos + 1
            except UnicodeDecodeError as exc:
                raise RemoteProtocolError("PARAM-VALUE is not UTF-8") from exc
        else:
            out.append(c)
            pos += 1
    raise RemoteProtocolError("unterminated PARAM-VALUE")


def _structured_data(data: bytes, pos: int) -> tuple[tuple[SDElement, ...], int]:
    if data[pos : pos + 1] == b"-":
        return (), pos + 1
    elements = []
    while data[pos : pos + 1] == b"[":
        sd_id, pos = _name(data, pos + 1)
        params = []
        while data[pos : pos + 1] == b" ":
            name, pos = _name(data, pos + 1)
            if data[pos : pos + 2] != b'="':
                raise RemoteProtocolError(f'expected =" after {name}')
            value, pos = _value(data, pos + 2)
            params.append((name, value))
        if data[pos : pos + 1] != b"]":
            raise RemoteProtocolError(f"SD-ELEMENT {sd_id} not closed")
        elements.append(SDElement(sd_id, tuple(params)))
        pos += 1
    if not elements:
        raise RemoteProtocolError("STRUCTURED-DATA missing")
    return tuple(elements), pos


def parse(data: bytes) -> SyslogMessage:
    """One RFC 5424 message (without transport framing)."""
    if len(data) > MAX_MESSAGE_OCTETS:
        raise RemoteProtocolError(f"message of {len(data)} octets exceeds {MAX_MESSAGE_OCTETS}")
    m = _HEADER.match(data)
    if m is None:
        raise RemoteProtocolError("not an RFC 5424 header")
    prival = int(m.group(1))
    if prival > 191:
        raise RemoteProtocolError(f"PRIVAL {prival} above 191")
    sd, pos = _structured_data(data, m.end())
    msg: str | None = None
    if pos < len(data):
        if data[pos : pos + 1] != b" ":
            raise RemoteProtocolError(f"junk after STRUCTURED-DATA at octet {pos}")
        body = data[pos + 1 :]
        if body.startswith(BOM):
            try:
                msg = body[len(BOM) :].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RemoteProtocolError("MSG after a BOM is not UTF-8") from exc
        else:
            msg = body.decode("utf-8", "replace")  # MSG-ANY: octets of unknown encoding
    return SyslogMessage(
        facility=prival // 8,
        severity=Severity(prival % 8),
        timestamp=_timestamp(m.group(2)),
        hostname=_field(m.group(3), MAX_HOSTNAME),
        app_name=_field(m.group(4), MAX_APP_NAME),
        procid=_field(m.group(5), MAX_PROCID),
        msgid=_field(m.group(6), MAX_MSGID),
        structured_data=sd,
        msg=msg,
    )
