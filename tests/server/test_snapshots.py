"""Camera stills for the console: ONVIF GetSnapshotUri on a device server, then the still
from a loopback server that demands HTTP Digest, as most cameras do."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

from callpoint.onvif.httpdigest import DigestAuthError, make_challenge, make_nonce, verify_digest
from callpoint.onvif.server import DeviceHost, DeviceUser, VirtualDevice
from callpoint.onvif.server.kinds import DeviceKind, make_config
from tests.conftest import API_TOKEN
from tests.server.conftest import Live, SiteEdit

pytestmark = pytest.mark.asyncio

CAMERA = "TANKFARM-EAST-PTZ-01"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
SECRET = b"snapshot-test-secret"


class Camera:
    """A device server plus the camera's JPEG endpoint; counts the stills it served."""

    def __init__(self) -> None:
        self.served = 0
        self.onvif_url = ""

    async def still(self, request: web.Request) -> web.Response:
        now = time.time()
        try:
            verify_digest(
                request.headers.get("Authorization", ""),
                "GET",
                lambda user: "cam-pass" if user == "admin" else None,
                realm="cam",
                secret=SECRET,
                now=now,
            )
        except DigestAuthError:
            challenge = make_challenge("cam", make_nonce(SECRET, now))
            return web.Response(status=401, headers={"WWW-Authenticate": challenge})
        self.served += 1
        return web.Response(body=JPEG, content_type="image/jpeg")


@pytest_asyncio.fixture
async def camera(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Camera]:
    monkeypatch.setenv("CAM_PW", "cam-pass")
    cam = Camera()
    app = web.Application()
    app.router.add_get("/snap.jpg", cam.still)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host_port = runner.addresses[0][:2]
    snap_url = f"http://{host_port[0]}:{host_port[1]}/snap.jpg"
    host = DeviceHost()
    config = make_config(
        DeviceKind.PTZ_CAMERA, CAMERA, (DeviceUser("admin", "cam-pass"),), snapshot_uri=snap_url
    )
    hosted = await host.add(VirtualDevice(config))
    cam.onvif_url = hosted.device_service_url
    yield cam
    await host.close()
    await runner.cleanup()


@pytest.fixture
def site_text(camera: Camera) -> SiteEdit:
    endpoint = (
        f"    onvif: {{url: '{camera.onvif_url}', username: admin, password: {{env: CAM_PW}}}}\n"
    )
    marker = f"  - id: {CAMERA}\n    kind: ptz\n"
    return lambda text: text.replace(marker, marker + endpoint, 1)


async def test_still_is_fetched_with_digest_and_cached_for_a_moment(
    live: Live, camera: Camera
) -> None:
    url = f"{live.url}/api/v1/cameras/{CAMERA}/snapshot"
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    for _ in range(3):
        async with live.http.get(url, headers=headers) as r:
            assert r.status == 200 and r.content_type == "image/jpeg"
            assert await r.read() == JPEG
    assert camera.served == 1  # ten screens refreshing cost the camera one request


async def test_camera_without_endpoint_says_why_and_unknown_camera_is_404(live: Live) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with live.http.get(
        f"{live.url}/api/v1/cameras/TANKFARM-EAST-FIX-02/snapshot", headers=headers
    ) as r:
        assert r.status == 502
        assert "no ONVIF endpoint" in (await r.json())["detail"]
    async with live.http.get(f"{live.url}/api/v1/cameras/NOPE/snapshot", headers=headers) as r:
        assert r.status == 404
