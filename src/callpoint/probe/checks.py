"""The checks of ``callpoint probe`` that are not ONVIF calls: streams, snapshots, ports.

Each returns a frozen report value and never raises for what the device does; the error
text goes into the value instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

from callpoint.media.errors import LocalProtocolError as MediaLocalError
from callpoint.media.errors import RemoteProtocolError as MediaRemoteError
from callpoint.media.rtsp_client import describe
from callpoint.media.streamcheck import StreamCheckError, check_stream_async
from callpoint.media.urls import redact_url
from callpoint.onvif.errors import RemoteProtocolError
from callpoint.onvif.httpdigest import digest_authorization, parse_challenge
from callpoint.onvif.media import MediaProfile
from callpoint.probe.report import BackchannelReport, PortReport, SnapshotReport, StreamReport

MAX_SNAPSHOT_BYTES = 10 * 1024 * 1024
"""A JPEG snapshot larger than this is not a snapshot (bytes)."""
PORT_TIMEOUT_S = 2.0
SNAPSHOT_TIMEOUT_S = 5.0
BASIC_OVER_HTTP = (
    "camera asks for Basic authentication over plain http: password not sent "
    "(callpoint needs the camera's onvif.allow_basic_over_http for its stills)"
)


def with_credentials(url: str, user: str | None, password: str | None) -> str:
    """``url`` with user and password in it, unless it has some already (RTSP needs them)."""
    parts = urlsplit(url)
    if not user or parts.username is not None:
        return url
    userinfo = quote(user, safe="") + (":" + quote(password or "", safe=""))
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc}"))


async def check_stream(
    profile: MediaProfile, uri: str, user: str | None, password: str | None, seconds: float
) -> StreamReport:
    """Open and decode a profile's RTSP stream for ``seconds``."""
    base = StreamReport(
        profile.token,
        profile.name,
        profile.video_encoding,
        profile.width,
        profile.height,
        profile.frame_rate,
        uri=redact_url(uri),
    )
    try:
        got = await check_stream_async(with_credentials(uri, user, password), duration_s=seconds)
    except StreamCheckError as exc:
        return dataclasses.replace(base, error=str(exc))
    return dataclasses.replace(
        base,
        codec=got.codec,
        width=got.width,
        height=got.height,
        fps=got.measured_fps or got.declared_fps,
        frames=got.frames_decoded,
        error="" if got.frames_decoded else "no frame decoded",
    )


async def fetch_snapshot(
    http: aiohttp.ClientSession, profile: str, uri: str, user: str | None, password: str | None
) -> SnapshotReport:
    """GET the snapshot URI (answering Basic or Digest if asked) and check it is a JPEG."""
    shown = redact_url(uri)
    timeout = aiohttp.ClientTimeout(total=SNAPSHOT_TIMEOUT_S)
    try:
        async with http.get(uri, timeout=timeout, allow_redirects=False) as r:
            status, ctype = r.status, r.headers.get("Content-Type", "")
            challenge = r.headers.get("WWW-Authenticate", "")
            data = await r.content.read(MAX_SNAPSHOT_BYTES)
        if status == 401 and user:
            if not challenge.lower().startswith("digest") and uri.lower().startswith("http:"):
                return SnapshotReport(profile, shown, status, ctype, error=BASIC_OVER_HTTP)
            headers = {"Authorization": _authorization(challenge, uri, user, password or "")}
            async with http.get(uri, timeout=timeout, headers=headers) as r:
                status, ctype = r.status, r.headers.get("Content-Type", "")
                data = await r.content.read(MAX_SNAPSHOT_BYTES)
    except (aiohttp.ClientError, TimeoutError, RemoteProtocolError) as exc:
        return SnapshotReport(profile, shown, error=f"{type(exc).__name__}: {exc}")
    jpeg = data[:2] == b"\xff\xd8"
    error = "" if status == 200 and jpeg else f"HTTP {status}, {'JPEG' if jpeg else 'not a JPEG'}"
    return SnapshotReport(profile, shown, status, ctype, len(data), jpeg, error)


def _authorization(challenge: str, uri: str, user: str, password: str) -> str:
    if challenge.lower().startswith("digest"):
        parts = urlsplit(uri)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return digest_authorization(
            parse_challenge(challenge), "GET", path, user, password, secrets.token_hex(8), 1
        )
    return aiohttp.BasicAuth(user, password).encode()


async def check_backchannel(
    uri: str, user: str | None, password: str | None, audio_outputs: int, with_bc: tuple[str, ...]
) -> BackchannelReport:
    """RTSP DESCRIBE with ``Require: www.onvif.org/ver20/backchannel``."""
    base = BackchannelReport(audio_outputs, with_bc)
    try:
        got = await describe(with_credentials(uri, user, password), backchannel=True)
    except (OSError, TimeoutError, MediaRemoteError, MediaLocalError) as exc:
        return dataclasses.replace(base, error=f"{type(exc).__name__}: {exc}")
    medium = got.backchannel
    return dataclasses.replace(
        base,
        rtsp_status=got.status,
        rtsp_offered=medium is not None,
        codec=" ".join(medium.encodings or medium.formats) if medium is not None else "",
    )


async def check_tcp(host: str, port: int, purpose: str) -> PortReport:
    """Can a TCP connection be opened?"""
    try:
        async with asyncio.timeout(PORT_TIMEOUT_S):
            _, writer = await asyncio.open_connection(host, port)
        writer.close()
        await writer.wait_closed()
    except (OSError, TimeoutError) as exc:
        return PortReport("tcp", host, port, purpose, False, type(exc).__name__)
    return PortReport("tcp", host, port, purpose, True)


def host_port(url: str, default: int) -> tuple[str, int] | None:
    """Host and port of a URL (``default`` when it names none); None if it has no host."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        return parts.hostname, parts.port or default
    except ValueError:
        return None
