"""RTSP/1.0 messages (RFC 2326) as far as a probe needs them: pure bytes in, bytes out.

Requests are built with `Request`; responses are fed to `ResponseParser`, which yields
complete `Response` values. ONVIF's audio backchannel is asked for with the Require tag
of the ONVIF Streaming Specification (section 5.3.1 in 23.06): a server that has one
answers DESCRIBE with an SDP that contains a ``sendonly`` audio medium; one that does not
answers ``551 Option not supported`` with an ``Unsupported`` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from callpoint.codecs.parser_state import ParserInput, ParserState, failed_earlier, next_state
from callpoint.media.errors import LocalProtocolError, RemoteProtocolError

RTSP_VERSION = "RTSP/1.0"
BACKCHANNEL_REQUIRE = "www.onvif.org/ver20/backchannel"
USER_AGENT = "callpoint"
STATUS_OPTION_NOT_SUPPORTED = 551

# Status line and headers of a DESCRIBE reply are a few hundred bytes; 16 KiB leaves room
# for long Digest challenges and still stops a server that never ends its headers.
MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 64
# An SDP with many media and long fmtp lines stays below 10 KiB.
MAX_BODY_BYTES = 64 * 1024

Headers = tuple[tuple[str, str], ...]

_METHOD = re.compile(r"[A-Z][A-Z_]{0,31}")


def _check_token(name: str, value: str) -> None:
    if any(ch in value for ch in "\r\n\0"):
        raise LocalProtocolError(f"{name} contains a line break or NUL: {value!r}")


def header_value(headers: Headers, name: str) -> str | None:
    """The first header called `name` (case-insensitive), or None."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def header_values(headers: Headers, name: str) -> list[str]:
    """Every header called `name` (case-insensitive), in order."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


@dataclass(frozen=True, slots=True)
class Request:
    """An RTSP request; `bytes(request)` is its wire form."""

    method: str
    uri: str
    cseq: int
    headers: Headers = ()
    body: bytes = b""

    def __bytes__(self) -> bytes:
        if _METHOD.fullmatch(self.method) is None:
            raise LocalProtocolError(f"bad RTSP method {self.method!r}")
        if not self.uri or " " in self.uri:
            raise LocalProtocolError(f"bad request URI {self.uri!r}")
        _check_token("URI", self.uri)
        lines = [f"{self.method} {self.uri} {RTSP_VERSION}", f"CSeq: {self.cseq}"]
        for name, value in self.headers:
            if not name or not name.replace("-", "").isalnum():
                raise LocalProtocolError(f"bad header name {name!r}")
            _check_token(name, value)
            lines.append(f"{name}: {value}")
        if self.body:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def options(uri: str, cseq: int, *, extra: Headers = ()) -> Request:
    """OPTIONS: which methods the server offers."""
    return Request("OPTIONS", uri, cseq, (("User-Agent", USER_AGENT), *extra))


def describe(uri: str, cseq: int, *, backchannel: bool = True, extra: Headers = ()) -> Request:
    """DESCRIBE asking for SDP, with the ONVIF backchannel Require tag if `backchannel`."""
    headers: Headers = (("Accept", "application/sdp"), ("User-Agent", USER_AGENT))
    if backchannel:
        headers += (("Require", BACKCHANNEL_REQUIRE),)
    return Request("DESCRIBE", uri, cseq, headers + extra)


@dataclass(frozen=True, slots=True)
class Response:
    """An RTSP response."""

    status: int
    reason: str
    headers: Headers
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first header called `name` (case-insensitive), or None."""
        return header_value(self.headers, name)

    @property
    def cseq(self) -> int | None:
        """The CSeq the server echoed, or None if absent or not a number."""
        value = self.header("CSeq")
        return int(value) if value is not None and value.strip().isdigit() else None

    @property
    def unsupported(self) -> tuple[str, ...]:
        """Option tags the server refused (Unsupported header, RFC 2326 section 12.42)."""
        values = header_values(self.headers, "Unsupported")
        return tuple(tag.strip() for value in values for tag in value.split(",") if tag.strip())


def _parse_status_line(line: bytes) -> tuple[int, str]:
    parts = line.split(b" ", 2)
    if len(parts) < 2 or parts[0] != RTSP_VERSION.encode():
        raise RemoteProtocolError(f"not an RTSP/1.0 status line: {line[:80]!r}")
    if not (len(parts[1]) == 3 and parts[1].isdigit()):
        raise RemoteProtocolError(f"bad status code {parts[1][:10]!r}")
    reason = parts[2] if len(parts) == 3 else b""
    return int(parts[1]), reason.decode("utf-8", "replace")


def _parse_headers(lines: list[bytes]) -> Headers:
    if len(lines) > MAX_HEADERS:
        raise RemoteProtocolError(f"more than {MAX_HEADERS} headers")
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding, still seen
            last_name, last_value = headers[-1]
            folded = line.strip().decode("utf-8", "replace")
            headers[-1] = (last_name, f"{last_value} {folded}")
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name.strip() or name != name.strip():
            raise RemoteProtocolError(f"bad header line {line[:80]!r}")
        headers.append((name.decode("ascii", "replace"), value.strip().decode("utf-8", "replace")))
    return tuple(headers)


class ResponseParser:
    """Feed bytes from the connection; take complete responses with `next_response`.

    Walks the table in :mod:`callpoint.codecs.parser_state` (in HEAD between whole
    responses). Once it has raised `RemoteProtocolError` it is in ERROR: the
    half-read buffer is dropped and every later call raises at once, naming the first
    failure.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._state = ParserState.HEAD
        self._first_error = ""

    @property
    def state(self) -> ParserState:
        """Where the parser is (ERROR once it has raised)."""
        return self._state

    def feed(self, data: bytes) -> None:
        """Append bytes received from the server."""
        self._refuse_if_failed()
        self._buffer += data

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a returned response."""
        return len(self._buffer)

    def next_response(self) -> Response | None:
        """The next complete response, or None until more bytes arrive.

        Raises `RemoteProtocolError` on malformed or oversized input; the parser (and
        the connection) is then unusable.
        """
        self._refuse_if_failed()
        try:
            return self._next_response()
        except RemoteProtocolError as exc:
            self._first_error = str(exc)
            self._state = next_state(self._state, ParserInput.BAD_INPUT)
            self._buffer = bytearray()
            raise

    def _refuse_if_failed(self) -> None:
        if self._state is ParserState.ERROR:
            raise RemoteProtocolError(failed_earlier(self._first_error))

    def _next_response(self) -> Response | None:
        # Tolerate blank lines between messages (RFC 2326 section 4, like HTTP).
        while self._buffer[:2] == b"\r\n":
            del self._buffer[:2]
        if self._buffer[:1] == b"$":
            raise RemoteProtocolError("interleaved RTP data where a response was expected")
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise RemoteProtocolError(f"response head longer than {MAX_HEAD_BYTES} bytes")
            return None
        if end > MAX_HEAD_BYTES:
            raise RemoteProtocolError(f"response head longer than {MAX_HEAD_BYTES} bytes")
        # The head is parsed again until the body is in: a few hundred bytes, one reply
        # per request, so keeping it parsed is not worth a BODY state.
        head_lines = bytes(self._buffer[:end]).split(b"\r\n")
        status, reason = _parse_status_line(head_lines[0])
        headers = _parse_headers(head_lines[1:])
        length_text = header_value(headers, "Content-Length") or "0"
        if not length_text.isdigit():
            raise RemoteProtocolError(f"bad Content-Length {length_text!r}")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise RemoteProtocolError(f"body of {length} bytes exceeds {MAX_BODY_BYTES}")
        start = end + 4
        if len(self._buffer) < start + length:
            return None
        body = bytes(self._buffer[start : start + length])
        del self._buffer[: start + length]
        return Response(status, reason, headers, body)


def parse_response(data: bytes) -> Response:
    """Exactly one complete response; raises `RemoteProtocolError` otherwise."""
    parser = ResponseParser()
    parser.feed(data)
    response = parser.next_response()
    if response is None:
        raise RemoteProtocolError("incomplete RTSP response")
    if parser.pending:
        raise RemoteProtocolError(f"{parser.pending} bytes after the RTSP response")
    return response
