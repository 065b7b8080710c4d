"""RFC 5424 syslog messages as bytes, and RFC 6587 octet-counting framing.

Pure functions, no sockets: `encode(message)` / `bytes(message)` and `parse(data)`.
Section numbers refer to RFC 5424 unless stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Final

NILVALUE: Final = "-"
BOM: Final = b"\xef\xbb\xbf"
# Field limits from the ABNF (section 6).
MAX_HOSTNAME: Final = 255
MAX_APP_NAME: Final = 48
MAX_PROCID: Final = 128
MAX_MSGID: Final = 32
MAX_SD_NAME: Final = 32
# Largest frame length we accept when reading octet-counted streams (bytes).
MAX_FRAME_OCTETS: Final = 64 * 1024


class SyslogError(Exception):
    """Base of this codec's errors."""


class LocalProtocolError(SyslogError):
    """We tried to build a message the RFC does not allow."""


class RemoteProtocolError(SyslogError):
    """Bytes from a peer are not a valid RFC 5424 message or frame."""


class Facility(IntEnum):
    """Section 6.2.1, table 1."""

    KERN = 0
    USER = 1
    DAEMON = 3
    AUTH = 4
    SYSLOG = 5
    AUTHPRIV = 10
    LOCAL0 = 16
    LOCAL1 = 17
    LOCAL2 = 18
    LOCAL3 = 19
    LOCAL4 = 20
    LOCAL5 = 21
    LOCAL6 = 22
    LOCAL7 = 23


class Severity(IntEnum):
    """Section 6.2.1, table 2."""

    EMERGENCY = 0
    ALERT = 1
    CRITICAL = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFORMATIONAL = 6
    DEBUG = 7


@dataclass(frozen=True, slots=True)
class SDElement:
    """One SD-ELEMENT (section 6.3.1): an SD-ID and its SD-PARAMs, in order."""

    id: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SyslogMessage:
    """SYSLOG-MSG (section 6). None stands for the NILVALUE."""

    facility: int
    severity: Severity
    timestamp: datetime | None
    hostname: str | None
    app_name: str | None
    procid: str | None
    msgid: str | None
    structured_data: tuple[SDElement, ...] = ()
    msg: str | None = None

    @property
    def pri(self) -> int:
        """PRIVAL (section 6.2.1): facility times 8 plus severity."""
        return self.facility * 8 + self.severity

    def __bytes__(self) -> bytes:
        return encode(self)


_PRINTUSASCII = re.compile(r"[\x21-\x7e]+")
_SD_NAME = re.compile(r"[\x21-\x7e]{1,32}")
_SD_NAME_FORBIDDEN = frozenset('= ]"')


def _header_field(value: str | None, limit: int, what: str) -> str:
    if value is None:
        return NILVALUE
    if len(value) > limit or not _PRINTUSASCII.fullmatch(value):
        raise LocalProtocolError(f"{what} must be 1-{limit} printable ASCII characters")
    return value


def _is_sd_name(name: str) -> bool:
    return bool(_SD_NAME.fullmatch(name)) and not _SD_NAME_FORBIDDEN.intersection(name)


def sd_name(text: str) -> str:
    """Any text made into a valid SD-NAME: forbidden characters become `_`, cut to 32."""
    cleaned = "".join(
        c if "\x21" <= c <= "\x7e" and c not in _SD_NAME_FORBIDDEN else "_" for c in text
    )
    return cleaned[:MAX_SD_NAME] or "_"


def printable(text: str, limit: int) -> str | None:
    """Any text made into a header field (HOSTNAME, PROCID...); None if nothing is left."""
    cleaned = "".join(c if "\x21" <= c <= "\x7e" else "_" for c in text)[:limit]
    return cleaned or None


def escape_param_value(value: str) -> str:
    """Section 6.3.3: `"`, `\\` and `]` are escaped with a backslash."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def format_timestamp(value: datetime) -> str:
    """TIMESTAMP (section 6.2.3): RFC 3339 with microseconds and the value's own offset."""
    offset = value.utcoffset()
    if offset is None:
        raise LocalProtocolError("a syslog TIMESTAMP needs a timezone")
    if offset % timedelta(minutes=1):
        value, offset = value.astimezone(UTC), timedelta(0)  # no seconds in TIME-NUMOFFSET
    base = value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if not offset:
        return base + "Z"
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{base}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _encode_sd(elements: tuple[SDElement, ...]) -> str:
    if not elements:
        return NILVALUE
    parts = []
    for el in elements:
        if not _is_sd_name(el.id):
            raise LocalProtocolError(f"bad SD-ID {el.id!r}")
        params = []
        for name, value in el.params:
            if not _is_sd_name(name):
                raise LocalProtocolError(f"bad PARAM-NAME {name!r} in {el.id}")
            params.append(f' {name}="{escape_param_value(value)}"')
        parts.append(f"[{el.id}{''.join(params)}]")
    return "".join(parts)


def encode(m: SyslogMessage) -> bytes:
    """The message as RFC 5424 bytes; MSG is UTF-8 with a BOM (section 6.4)."""
    if not 0 <= m.facility <= 23:
        raise LocalProtocolError(f"facility {m.facility} outside 0-23")
    header = " ".join(
        (
            f"<{m.pri}>1",
            NILVALUE if m.timestamp is None else format_timestamp(m.timestamp),
            _header_field(m.hostname, MAX_HOSTNAME, "HOSTNAME"),
            _header_field(m.app_name, MAX_APP_NAME, "APP-NAME"),
            _header_field(m.procid, MAX_PROCID, "PROCID"),
            _header_field(m.msgid, MAX_MSGID, "MSGID"),
            _encode_sd(m.structured_data),
        )
    )
    # Header fields are ASCII; PARAM-VALUEs UTF-8. "replace": a lone surrogate from hostile
    # input must not stop the log line.
    data = header.encode("utf-8", "replace")
    if m.msg is not None:
        data += b" " + BOM + m.msg.encode("utf-8", "replace")
    return data


def octet_counted(message: bytes) -> bytes:
    """RFC 6587 section 3.4.1 framing: `MSG-LEN SP SYSLOG-MSG`."""
    return b"%d %s" % (len(message), message)


def split_octet_counted(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete frames at the start of `buffer`, and the incomplete rest."""
    frames: list[bytes] = []
    pos = 0
    while True:
        space = buffer.find(b" ", pos, pos + 7)  # MSG-LEN has at most 6 digits here
        if space < 0:
            if len(buffer) - pos > 6:
                raise RemoteProtocolError("octet-counted frame without a length")
            return frames, buffer[pos:]
        digits = buffer[pos:space]
        if not digits.isdigit() or digits.startswith(b"0"):
            raise RemoteProtocolError(f"bad MSG-LEN {digits[:10]!r}")
        length = int(digits)
        if length > MAX_FRAME_OCTETS:
            raise RemoteProtocolError(f"frame of {length} octets exceeds {MAX_FRAME_OCTETS}")
        end = space + 1 + length
        if end > len(buffer):
            return frames, buffer[pos:]
        frames.append(buffer[space + 1 : end])
        pos = end
