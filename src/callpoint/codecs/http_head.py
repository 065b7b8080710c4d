"""The HTTP/1.1 heads the device front serves itself, read and written as pure functions.

Only one shape is recognised: `POST /api/v1/events` in HTTP/1.1 with a Content-Length
body, or in HTTP/1.0 with a Content-Length body or a body that ends where the sender
closes its side (RFC 1945 section 7.2.2 asks for a length; devices that send none exist,
and aiohttp would read their body as empty). An HTTP/1.0 request always closes the
connection after its reply. The grammar is deliberately narrower than RFC 9112: a head
that is anything else (another method or path, a chunked or Expect body, an upgrade, a
cookie, a header seen twice, a byte a strict parser might read differently) is not
refused here but reported as `HAND_OVER`, and the full HTTP server behind the front
answers it. So nothing this parser
accepts is something the full server would have read differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

EVENT_REQUEST_LINE: Final = b"POST /api/v1/events HTTP/1.1\r\n"
EVENT_REQUEST_LINE_10: Final = b"POST /api/v1/events HTTP/1.0\r\n"  # same length
HEAD_END: Final = b"\r\n\r\n"
MAX_HEAD_BYTES: Final = 8192  # a device's head is a few hundred bytes
MAX_HEADERS: Final = 40
MAX_CONTENT_LENGTH_DIGITS: Final = 9

# field-name is a token; field-value is visible ASCII, space, tab or obs-text. No CR or LF
# alone, no NUL, no DEL, no folded lines, no space before the colon.
_FIELDS = re.compile(rb"(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e\x80-\xff]*\r\n)*")
# Headers whose presence means the request is not the plain shape served here.
_NOT_HERE: Final = frozenset({"transfer-encoding", "expect", "upgrade", "cookie", "te"})


class _HandOver:
    """The head is not one this front serves: give the connection to the full server."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "HAND_OVER"


class _Incomplete:
    """More bytes are needed before anything can be said."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "INCOMPLETE"


HAND_OVER: Final = _HandOver()
INCOMPLETE: Final = _Incomplete()


@dataclass(frozen=True, slots=True)
class EventHead:
    """A recognised event request head: lower-cased header names, the body's place."""

    headers: dict[str, str]
    body_start: int  # offset of the body in the buffer the head was read from
    content_length: int | None  # None: the body ends when the sender closes (HTTP/1.0)
    close: bool  # close after the reply (Connection: close, or HTTP/1.0)

    @property
    def end(self) -> int:
        """Offset just past the body (for a body that ends at close: just past the head)."""
        return self.body_start + (self.content_length or 0)


def read_event_head(buf: bytes | bytearray, max_body: int) -> EventHead | _HandOver | _Incomplete:
    """Read the head at the start of `buf`: an EventHead, HAND_OVER or INCOMPLETE.

    The body may not have arrived yet: compare `len(buf)` with `EventHead.end`, or wait
    for the sender to close when `content_length` is None. A body larger than `max_body`
    is handed over (the full server refuses it with 413).
    """
    http10 = buf.startswith(EVENT_REQUEST_LINE_10)
    if not http10 and not buf.startswith(EVENT_REQUEST_LINE):
        if len(buf) < len(EVENT_REQUEST_LINE) and (
            EVENT_REQUEST_LINE.startswith(buf) or EVENT_REQUEST_LINE_10.startswith(buf)
        ):
            return INCOMPLETE
        return HAND_OVER
    end = buf.find(HEAD_END, len(EVENT_REQUEST_LINE) - 2)
    if end < 0:
        return HAND_OVER if len(buf) > MAX_HEAD_BYTES else INCOMPLETE
    if end + 4 > MAX_HEAD_BYTES:
        return HAND_OVER
    fields = bytes(buf[len(EVENT_REQUEST_LINE) : end + 2])
    if _FIELDS.fullmatch(fields) is None:
        return HAND_OVER
    lines = fields.split(b"\r\n")
    lines.pop()  # the empty string after the last CRLF
    if len(lines) > MAX_HEADERS:
        return HAND_OVER
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(b":")
        key = name.decode("ascii").lower()
        if key in headers or key in _NOT_HERE:
            return HAND_OVER
        headers[key] = value.strip(b" \t").decode("utf-8", "surrogateescape")
    length = headers.get("content-length")
    if length is None and http10:
        return EventHead(headers, end + 4, None, close=True)
    if (
        length is None
        or not length.isascii()
        or not length.isdigit()
        or len(length) > MAX_CONTENT_LENGTH_DIGITS
        or int(length) > max_body
    ):
        return HAND_OVER
    connection = headers.get("connection", "keep-alive").lower()
    if connection not in ("keep-alive", "close"):
        return HAND_OVER
    return EventHead(headers, end + 4, int(length), close=http10 or connection == "close")


def _status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"HTTP/1.1 {status} {phrase}\r\n".encode("ascii")


_STATUS_LINES: Final = {s.value: _status_line(s.value) for s in HTTPStatus}


def reply_bytes(status: int, body: bytes, date: bytes, *, close: bool) -> bytes:
    """A whole JSON reply: status line, head (with the given Date value) and body."""
    line = _STATUS_LINES.get(status) or _status_line(status)
    return b"".join(
        (
            line,
            b"Content-Type: application/json\r\nContent-Length: ",
            str(len(body)).encode("ascii"),
            b"\r\nDate: ",
            date,
            b"\r\nConnection: close\r\n\r\n" if close else b"\r\n\r\n",
            body,
        )
    )
