"""A minimal HTTP/1.1 client codec (RFC 9112): build a POST, parse one response.

Pure, no I/O (h11's split): the asyncio layer in :mod:`callpoint.onvif.httpclient` feeds
bytes in and takes a :class:`Response` out. Only what SOAP over HTTP needs: Content-Length,
chunked transfer coding, and bodies delimited by connection close (HTTP/1.0 devices).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from callpoint.codecs.parser_state import ParserInput, ParserState, failed_earlier, next_state
from callpoint.onvif.errors import RemoteProtocolError
from callpoint.onvif.xmlsafe import MAX_SOAP_BYTES

MAX_HEAD_BYTES = 16 * 1024
"""Status line and headers together, at most, in bytes."""
MAX_HEADERS = 64
"""Header fields accepted in one response."""
MAX_CHUNK_LINE_BYTES = 1024
"""A chunk-size line with extensions, at most, in bytes."""


class Response(NamedTuple):
    """One HTTP response: status, headers (names lower-cased, in order), body.

    A named tuple rather than a frozen dataclass: as immutable, and cheaper to make
    (one per SOAP call, on the hot path).
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    keep_alive: bool

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        lname = name.lower()
        return next((v for n, v in self.headers if n == lname), None)

    def header_all(self, name: str) -> list[str]:
        """Every value of a header, by case-insensitive name."""
        lname = name.lower()
        return [v for n, v in self.headers if n == lname]


def build_post(target: str, host: str, headers: dict[str, str], body: bytes) -> bytes:
    """Serialise a POST request with a Content-Length body."""
    lines = [f"POST {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    for line in lines:
        if "\r" in line or "\n" in line:
            raise ValueError(f"header line with CR/LF: {line!r}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def post_head(target: str, host: str, headers: Iterable[tuple[str, str]]) -> bytes:
    """The request line and header lines of a POST, each ending in CRLF, without
    Content-Length and the blank line: a prefix callers build once per target and reuse
    (see :func:`finish_post`)."""
    lines = [f"POST {target} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers)]
    for line in lines:
        if "\r" in line or "\n" in line:
            raise ValueError(f"header line with CR/LF: {line!r}")
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def finish_post(head: bytes, body: bytes) -> bytes:
    """A :func:`post_head` prefix (plus any per-call header lines) completed with
    Content-Length and the body."""
    return b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)


_Head = tuple[int, tuple[tuple[str, str], ...], bool, int | None, bool]
"""A parsed response head: status, headers, keep-alive, body length (None: chunked or
up to the close, as the flag says) and whether the body is chunked."""


def _parse_head(head: bytes, max_body: int) -> _Head:
    """Parse a status line and header fields (without the blank line)."""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    code = parts[1] if len(parts) >= 2 else ""
    if not parts[0].startswith("HTTP/1.") or not (code.isascii() and code.isdigit()):
        raise RemoteProtocolError(f"bad status line {status_line[:80]!r}")
    if len(lines) > MAX_HEADERS:
        raise RemoteProtocolError("too many response headers")
    headers = []
    conn = te = ""
    lengths = set()
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise RemoteProtocolError(f"bad header line {line[:80]!r}")
        name, value = name.lower(), value.strip()
        headers.append((name, value))
        if name == "content-length":
            lengths.add(value)
        elif name == "connection":
            conn += value.lower() + ","
        elif name == "transfer-encoding":
            te += value.lower() + ","
    status = int(code)
    keep_alive = "close" not in conn and (parts[0] != "HTTP/1.0" or "keep-alive" in conn)
    if status in (204, 304) or 100 <= status < 200:
        # No body (RFC 9112 section 6.3); 1xx ones are skipped by the parser.
        return status, tuple(headers), keep_alive, 0, False
    if "chunked" in te:
        return status, tuple(headers), keep_alive, None, True
    if not lengths:
        return status, tuple(headers), False, None, False  # up to the close
    only = lengths.pop()
    if lengths or not (only.isascii() and only.isdigit()):
        raise RemoteProtocolError(f"bad Content-Length {sorted({only, *lengths})!r}")
    length = int(only)
    if length > max_body:
        raise RemoteProtocolError(f"response body exceeds {max_body} bytes")
    return status, tuple(headers), keep_alive, length, False


def parse_response(data: bytes, max_body: int = MAX_SOAP_BYTES) -> Response | None:
    """One whole Content-Length response in ``data`` and nothing more, else None.

    The fast path for the usual case, a small reply arriving in one read: no parser
    object, no buffer copies. None means "not that case" (partial, chunked, interim 1xx,
    close-delimited, trailing bytes): feed the same bytes to a :class:`ResponseParser`,
    which then gives the same result or error. A malformed head raises here as there.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0 or end > MAX_HEAD_BYTES:
        return None
    status, headers, keep_alive, length, _ = _parse_head(data[:end], max_body)
    if length is None or status < 200 or len(data) - end - 4 != length:
        return None
    return Response(status, headers, data[end + 4 :], keep_alive)


class ResponseParser:
    """Feed bytes with :meth:`feed`; :attr:`response` is set once a response is complete.

    Walks the table in :mod:`callpoint.codecs.parser_state`. Once it has raised
    `RemoteProtocolError`, it is in ERROR: what it had half read is dropped, and every
    later `feed` or `eof` raises at once, naming the first failure.
    """

    __slots__ = (
        "_body",
        "_buf",
        "_chunked",
        "_first_error",
        "_headers",
        "_keep_alive",
        "_length",
        "_max_body",
        "_state",
        "_status",
        "_until_close",
        "response",
    )

    def __init__(self, max_body: int = MAX_SOAP_BYTES) -> None:
        self._buf = bytearray()
        self._state = ParserState.HEAD
        self._first_error = ""
        self._status: int | None = None
        self._headers: tuple[tuple[str, str], ...] = ()
        self._length: int | None = None
        self._chunked = False
        self._until_close = False
        self._keep_alive = True
        self._body = bytearray()
        self.response: Response | None = None
        self._max_body = max_body

    @property
    def state(self) -> ParserState:
        """Where the parser is (ERROR once it has raised)."""
        return self._state

    @property
    def buffered(self) -> int:
        """Bytes received and held, not yet part of a response (none after an error)."""
        return len(self._buf) + len(self._body)

    @property
    def started(self) -> bool:
        """True once any byte of a response has arrived."""
        return self._status is not None or bool(self._buf)

    def feed(self, data: bytes) -> None:
        """Take more bytes from the connection."""
        self._refuse_if_failed()
        try:
            self._feed(data)
        except RemoteProtocolError as exc:
            self._fail(exc)
            raise

    def eof(self) -> None:
        """The peer closed the connection."""
        self._refuse_if_failed()
        if self._state is ParserState.DONE:
            return
        if self._state is ParserState.BODY and self._until_close:
            self._keep_alive = False
            self._finish(bytes(self._body))
            return
        exc = RemoteProtocolError("connection closed before a complete response")
        self._fail(exc)
        raise exc

    def _refuse_if_failed(self) -> None:
        if self._state is ParserState.ERROR:
            raise RemoteProtocolError(failed_earlier(self._first_error))

    def _fail(self, exc: RemoteProtocolError) -> None:
        self._first_error = str(exc)
        self._state = next_state(self._state, ParserInput.BAD_INPUT)
        self._buf = bytearray()
        self._body = bytearray()

    def _feed(self, data: bytes) -> None:
        if self._state is ParserState.DONE:
            if data:
                raise RemoteProtocolError("data after a complete response")
            return
        self._buf += data
        while self._state is ParserState.HEAD:
            if not self._parse_head():
                return
        if self._chunked:
            self._parse_chunks()
        elif self._until_close:
            self._body += self._buf
            self._buf.clear()
            self._check_size(len(self._body))
        else:
            assert self._length is not None
            if len(self._buf) >= self._length:
                self._finish(bytes(self._buf[: self._length]))
                del self._buf[: self._length]

    def _check_size(self, n: int) -> None:
        if n > self._max_body:
            raise RemoteProtocolError(f"response body exceeds {self._max_body} bytes")

    def _finish(self, body: bytes) -> None:
        assert self._status is not None
        self._state = next_state(self._state, ParserInput.BODY_READ)
        self.response = Response(self._status, self._headers, body, self._keep_alive)

    def _parse_head(self) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HEAD_BYTES:
                raise RemoteProtocolError("response head too long")
            return False
        if end > MAX_HEAD_BYTES:
            raise RemoteProtocolError("response head too long")
        status, self._headers, self._keep_alive, self._length, self._chunked = _parse_head(
            bytes(self._buf[:end]), self._max_body
        )
        del self._buf[: end + 4]
        if 100 <= status < 200:
            # An interim response (100 Continue): the real one follows.
            self._state = next_state(self._state, ParserInput.INTERIM)
            return True
        self._until_close = self._length is None and not self._chunked
        self._status = status
        self._state = next_state(self._state, ParserInput.HEAD_READ)
        return True

    def _parse_chunks(self) -> None:
        while True:
            line_end = self._buf.find(b"\r\n")
            if line_end < 0:
                if len(self._buf) > MAX_CHUNK_LINE_BYTES:
                    raise RemoteProtocolError("chunk size line too long")
                return
            size_text = bytes(self._buf[:line_end]).split(b";", 1)[0].strip()
            if not size_text or size_text.strip(b"0123456789abcdefABCDEF") or len(size_text) > 8:
                raise RemoteProtocolError(f"bad chunk size {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                # Last chunk: skip trailers up to the blank line.
                trailer_end = self._buf.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return
                del self._buf[: trailer_end + 4]
                self._finish(bytes(self._body))
                return
            if len(self._buf) < line_end + 2 + size + 2:
                return
            start = line_end + 2
            self._body += self._buf[start : start + size]
            self._check_size(len(self._body))
            if self._buf[start + size : start + size + 2] != b"\r\n":
                raise RemoteProtocolError("chunk not followed by CRLF")
            del self._buf[: start + size + 2]
