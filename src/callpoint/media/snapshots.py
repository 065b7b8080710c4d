"""Camera stills for the console: the ONVIF snapshot URI, fetched with the camera's
credentials, cached for a moment so ten screens refreshing cost the camera one request.

A camera answers GetSnapshotUri with an HTTP URL that usually wants the same user again,
by HTTP Digest (most) or Basic (some). The URI is asked once and kept until a fetch fails.
The credentials answer a 401 only from the camera's own ONVIF host and port or a host its
config allows, and Basic only over https unless allowed (credential_scope.py); anywhere
else the still is asked for without them, and a 401 there is refused with the reason.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from dataclasses import dataclass

import aiohttp

from callpoint.actions.onvif_devices import OnvifDevicePool
from callpoint.config.models import OnvifEndpoint
from callpoint.media.credential_scope import CredentialScope, CredentialsWithheldError
from callpoint.onvif.errors import OnvifError
from callpoint.onvif.httpdigest import digest_authorization, parse_challenge

CACHE_S = 1.0  # a still this fresh is served again instead of asking the camera
FETCH_TIMEOUT_S = 4.0  # a camera slower than this shows its last still, or none
MAX_JPEG_BYTES = 4 * 1024 * 1024  # a 4K JPEG is well under this
JPEG_MAGIC = b"\xff\xd8"


class SnapshotError(Exception):
    """No still for this camera; the message says why (safe to show an operator)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    jpeg: bytes
    taken_at: float  # time.monotonic() when it arrived


class SnapshotService:
    """Stills by camera id, through the shared ONVIF device pool."""

    def __init__(self, pool: OnvifDevicePool) -> None:
        self._pool = pool
        self._http: aiohttp.ClientSession | None = None
        self._uris: dict[str, str] = {}
        self._cache: dict[str, Snapshot] = {}
        self._inflight: dict[str, asyncio.Task[Snapshot]] = {}

    async def close(self) -> None:
        for task in self._inflight.values():
            task.cancel()
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def get(self, camera: str) -> Snapshot:
        """A still of `camera` at most CACHE_S old; raises SnapshotError."""
        cached = self._cache.get(camera)
        if cached is not None and time.monotonic() - cached.taken_at < CACHE_S:
            return cached
        task = self._inflight.get(camera)
        if task is None:
            task = asyncio.create_task(self._fetch(camera), name=f"snapshot-{camera}")
            self._inflight[camera] = task
            task.add_done_callback(lambda _: self._inflight.pop(camera, None))
        return await asyncio.shield(task)

    async def _fetch(self, camera: str) -> Snapshot:
        try:
            entry = await self._pool.get(camera)
        except (OnvifError, LookupError) as exc:
            raise SnapshotError(f"{camera}: {exc}") from exc
        uri = self._uris.get(camera)
        if uri is None:
            try:
                profiles = await entry.device.profiles()
                if not profiles:
                    raise SnapshotError(f"{camera}: no media profile")
                uri = (await entry.device.snapshot_uri(profiles[0].token)).uri
            except OnvifError as exc:
                raise SnapshotError(f"{camera}: GetSnapshotUri failed: {exc}") from exc
            self._uris[camera] = uri
        try:
            jpeg = await self._download(uri, entry.endpoint)
        except SnapshotError:
            self._uris.pop(camera, None)  # ask again next time: the URI may have changed
            raise
        snap = Snapshot(jpeg, time.monotonic())
        self._cache[camera] = snap
        return snap

    async def _download(self, uri: str, endpoint: OnvifEndpoint) -> bytes:
        if not uri.startswith(("http://", "https://")):
            raise SnapshotError(f"snapshot URI is not http(s): {uri[:80]}")
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(FETCH_TIMEOUT_S))
        try:
            async with self._http.get(uri, allow_redirects=False) as resp:
                if resp.status == 401:
                    auth = _answer(resp.headers.get("WWW-Authenticate", ""), uri, endpoint)
                    async with self._http.get(
                        uri, headers={"Authorization": auth}, allow_redirects=False
                    ) as again:
                        return await _jpeg(again)
                return await _jpeg(resp)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SnapshotError(f"snapshot fetch failed: {type(exc).__name__} {exc}") from exc


def _answer(challenge: str, uri: str, endpoint: OnvifEndpoint) -> str:
    """An Authorization header for a 401's challenge: Digest when offered, else Basic.

    SnapshotError when the credentials may not go there (see credential_scope.py)."""
    scope = CredentialScope.for_endpoint(
        str(endpoint.url),
        endpoint.snapshot_hosts,
        allow_basic_over_http=endpoint.allow_basic_over_http,
    )
    user = endpoint.username
    password = endpoint.password.value.get_secret_value()
    try:
        scope.check_host(uri)
        if challenge.lower().startswith("basic"):
            scope.check_basic(uri)
    except CredentialsWithheldError as exc:
        raise SnapshotError(str(exc)) from exc
    if challenge.lower().startswith("digest"):
        path = "/" + uri.split("://", 1)[1].split("/", 1)[1] if uri.count("/") > 2 else "/"
        return digest_authorization(
            parse_challenge(challenge), "GET", path, user, password, os.urandom(8).hex(), 1
        )
    if challenge.lower().startswith("basic"):
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    raise SnapshotError(f"camera asks for an unknown authentication: {challenge[:40]}")


async def _jpeg(resp: aiohttp.ClientResponse) -> bytes:
    if resp.status != 200:
        raise SnapshotError(f"camera answered HTTP {resp.status} for the snapshot")
    data = await resp.content.read(MAX_JPEG_BYTES + 1)
    if len(data) > MAX_JPEG_BYTES:
        raise SnapshotError(f"snapshot larger than {MAX_JPEG_BYTES} bytes")
    if not data.startswith(JPEG_MAGIC):
        raise SnapshotError("snapshot is not a JPEG")
    return data
