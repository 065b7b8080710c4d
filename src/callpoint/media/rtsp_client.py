"""A small asyncio RTSP client: OPTIONS and DESCRIBE, with Basic/Digest auth.

Enough for `callpoint probe` to learn a camera's media and whether it offers the ONVIF
audio backchannel, without starting a stream. Transport only: messages come from
`callpoint.codecs.rtsp`, SDP from `callpoint.codecs.sdp`.

Raises OSError or TimeoutError when the camera cannot be reached or stays silent, and
`RemoteProtocolError` when it answers with something that is not RTSP.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit, urlunsplit

from callpoint.codecs import rtsp
from callpoint.codecs.sdp import MediaDescription, SessionDescription, parse_sdp
from callpoint.media import rtsp_auth
from callpoint.media.errors import LocalProtocolError, RemoteProtocolError
from callpoint.media.urls import redact_url

RTSP_DEFAULT_PORT = 554
# For the whole exchange with one camera, connection included.
DEFAULT_TIMEOUT_S = 5.0
READ_CHUNK_BYTES = 4096


@dataclass(frozen=True, slots=True)
class RtspTarget:
    """An rtsp:// URL split into where to connect, what to ask, and who we are."""

    host: str
    port: int
    uri: str  # the request URI: the URL without credentials
    username: str | None
    password: str | None


def parse_rtsp_url(url: str) -> RtspTarget:
    """Split an rtsp:// URL; raises `LocalProtocolError` if it is not one."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "rtsp" or not parts.hostname:
        raise LocalProtocolError(f"not an rtsp:// URL: {redact_url(url)}")
    try:
        port = parts.port or RTSP_DEFAULT_PORT
    except ValueError as exc:
        raise LocalProtocolError(f"bad port in {redact_url(url)}") from exc
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    uri = urlunsplit(parts._replace(netloc=netloc))
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return RtspTarget(host, port, uri, username, password)


@dataclass(frozen=True, slots=True)
class DescribeResult:
    """What a DESCRIBE (with or without the backchannel Require tag) showed."""

    url: str  # without password
    status: int
    reason: str
    server: str
    backchannel_requested: bool
    unsupported: tuple[str, ...] = ()
    sdp: SessionDescription | None = None

    @property
    def backchannel(self) -> MediaDescription | None:
        """The audio backchannel medium, if the server offered one."""
        if self.status != 200 or self.sdp is None or not self.backchannel_requested:
            return None
        return self.sdp.backchannel


class RtspConnection:
    """One TCP connection to an RTSP server; requests one at a time."""

    def __init__(self, target: RtspTarget) -> None:
        self.target = target
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._parser = rtsp.ResponseParser()
        self._cseq = 0
        self._challenge: rtsp_auth.Challenge | None = None
        self._nonce_count = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection if open."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def request(self, build: _Builder) -> rtsp.Response:
        """Send the request `build(cseq, auth_headers)`; answer one 401 with credentials."""
        response = await self._exchange(build)
        if response.status != 401 or self.target.username is None:
            return response
        challenges = rtsp.header_values(response.headers, "WWW-Authenticate")
        self._challenge = rtsp_auth.choose_challenge(challenges)
        self._nonce_count = 0
        closing = (response.header("Connection") or "").lower() == "close"
        if closing or (self._reader is not None and self._reader.at_eof()):
            await self.close()  # the retry goes out on a new connection
        return await self._exchange(build)

    async def _exchange(self, build: _Builder) -> rtsp.Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self.target.host, self.target.port
            )
            self._parser = rtsp.ResponseParser()
        assert self._reader is not None
        self._cseq += 1
        request = build(self._cseq, self._auth_headers(build))
        self._writer.write(bytes(request))
        await self._writer.drain()
        while True:
            response = self._parser.next_response()
            if response is not None:
                if response.cseq in (None, request.cseq):
                    return response
                continue  # a late answer to an earlier request
            data = await self._reader.read(READ_CHUNK_BYTES)
            if not data:
                raise RemoteProtocolError("server closed the connection before answering")
            self._parser.feed(data)

    def _auth_headers(self, build: _Builder) -> rtsp.Headers:
        if self._challenge is None or self.target.username is None:
            return ()
        self._nonce_count += 1
        value = rtsp_auth.authorization(
            self._challenge,
            method=build.method,
            uri=self.target.uri,
            username=self.target.username,
            password=self.target.password or "",
            cnonce=secrets.token_hex(8),
            nonce_count=self._nonce_count,
        )
        return (("Authorization", value),)


class _Builder:
    """Builds a request for a given CSeq and auth headers (so a retry can rebuild it)."""

    def __init__(self, method: str, uri: str, backchannel: bool = False) -> None:
        self.method = method
        self.uri = uri
        self.backchannel = backchannel

    def __call__(self, cseq: int, auth: rtsp.Headers) -> rtsp.Request:
        if self.method == "DESCRIBE":
            return rtsp.describe(self.uri, cseq, backchannel=self.backchannel, extra=auth)
        return rtsp.options(self.uri, cseq, extra=auth)


async def options(url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> rtsp.Response:
    """OPTIONS on `url` (credentials in the URL are used if the server asks)."""
    target = parse_rtsp_url(url)
    async with asyncio.timeout(timeout_s), RtspConnection(target) as connection:
        return await connection.request(_Builder("OPTIONS", target.uri))


async def describe(
    url: str, *, backchannel: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S
) -> DescribeResult:
    """DESCRIBE `url`, asking for the ONVIF backchannel if `backchannel`.

    A server without a backchannel answers 551 (or ignores the tag and sends SDP without
    a sendonly audio medium): both give a result whose `backchannel` is None.
    """
    target = parse_rtsp_url(url)
    async with asyncio.timeout(timeout_s), RtspConnection(target) as connection:
        response = await connection.request(_Builder("DESCRIBE", target.uri, backchannel))
    content_type = (response.header("Content-Type") or "").split(";")[0].strip().lower()
    sdp = None
    if response.status == 200 and content_type == "application/sdp":
        sdp = parse_sdp(response.body)
    return DescribeResult(
        url=redact_url(url),
        status=response.status,
        reason=response.reason,
        server=response.header("Server") or "",
        backchannel_requested=backchannel,
        unsupported=response.unsupported,
        sdp=sdp,
    )


@dataclass(frozen=True, slots=True)
class BackchannelCheck:
    """Whether a stream offers the ONVIF audio backchannel, and what it streams anyway."""

    url: str  # without password
    supported: bool
    detail: str  # one line for a readiness report
    backchannel: MediaDescription | None
    media: SessionDescription | None  # from the plain DESCRIBE when the tagged one failed


async def check_backchannel(url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> BackchannelCheck:
    """DESCRIBE with the backchannel Require tag; if refused, DESCRIBE again without it.

    A 551 (or a 200 without a sendonly audio medium) is a clear "no backchannel"; a 401
    means the credentials in the URL were missing or wrong.
    """
    tagged = await describe(url, backchannel=True, timeout_s=timeout_s)
    if tagged.backchannel is not None:
        back = tagged.backchannel
        codec = ", ".join(back.encodings) or " ".join(back.formats)
        return BackchannelCheck(
            tagged.url, True, f"audio backchannel offered ({codec})", back, tagged.sdp
        )
    if tagged.status == 401:
        return BackchannelCheck(tagged.url, False, "401: credentials refused", None, None)
    plain = tagged if tagged.status == 200 else None
    if plain is None:
        plain = await describe(url, backchannel=False, timeout_s=timeout_s)
    if tagged.status == rtsp.STATUS_OPTION_NOT_SUPPORTED:
        detail = "no backchannel: the server does not support the ONVIF Require tag (551)"
    elif tagged.status == 200:
        detail = "no backchannel: the SDP has no sendonly audio medium"
    else:
        detail = f"no backchannel: DESCRIBE answered {tagged.status} {tagged.reason}"
    if plain.status != 200:
        detail += f"; plain DESCRIBE answered {plain.status} {plain.reason}"
    return BackchannelCheck(tagged.url, False, detail, None, plain.sdp)
