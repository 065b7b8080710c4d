"""Camera stills for the console: ONVIF GetSnapshotUri on a device server, then the still
from a loopback server that demands HTTP Digest, as most cameras do (or Basic).

The still server listens on another port than the device server, so it is "another host"
for the camera's credentials: it gets them only when the site lists it in snapshot_hosts,
and a Basic challenge over http only with allow_basic_over_http (issue 11, defect 5)."""

from __future__ import annotations

import base64
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
BASIC = "Basic " + base64.b64encode(b"admin:cam-pass").decode()


class Camera:
    """A device server plus the camera's JPEG endpoint; counts the stills it served and
    keeps every Authorization header it was sent."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.served = 0
        self.onvif_url = ""
        self.snap_host_port = ""
        self.authorizations: list[str] = []

    async def still(self, request: web.Request) -> web.Response:
        now = time.time()
        if "Authorization" in request.headers:
            self.authorizations.append(request.headers["Authorization"])
        if self.scheme == "basic":
            if request.headers.get("Authorization") != BASIC:
                return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="cam"'})
            self.served += 1
            return web.Response(body=JPEG, content_type="image/jpeg")
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


@pytest.fixture
def scheme() -> str:
    """What the still server demands; parametrized by tests that want Basic."""
    return "digest"


@pytest.fixture
def endpoint_extra() -> str:
    """Extra onvif endpoint keys (YAML flow); `{snap}` becomes the still server's host:port."""
    return ", snapshot_hosts: ['{snap}']"


@pytest_asyncio.fixture
async def camera(monkeypatch: pytest.MonkeyPatch, scheme: str) -> AsyncIterator[Camera]:
    monkeypatch.setenv("CAM_PW", "cam-pass")
    cam = Camera(scheme)
    app = web.Application()
    app.router.add_get("/snap.jpg", cam.still)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host_port = runner.addresses[0][:2]
    cam.snap_host_port = f"{host_port[0]}:{host_port[1]}"
    snap_url = f"http://{cam.snap_host_port}/snap.jpg"
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
def site_text(camera: Camera, endpoint_extra: str) -> SiteEdit:
    extra = endpoint_extra.replace("{snap}", camera.snap_host_port)
    endpoint = (
        f"    onvif: {{url: '{camera.onvif_url}', username: admin, password: {{env: CAM_PW}}"
        f"{extra}}}\n"
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
    assert len(camera.authorizations) == 1 and camera.authorizations[0].startswith("Digest ")


@pytest.mark.parametrize("endpoint_extra", [""])
async def test_still_on_another_host_gets_no_credentials(live: Live, camera: Camera) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with live.http.get(f"{live.url}/api/v1/cameras/{CAMERA}/snapshot", headers=headers) as r:
        assert r.status == 502
        detail = (await r.json())["detail"]
    onvif_host = camera.onvif_url.split("/")[2]
    assert detail == (
        f"credentials withheld from {camera.snap_host_port}: not the camera's ONVIF host "
        f"{onvif_host} (list it in the camera's onvif.snapshot_hosts to allow it)"
    )
    assert camera.authorizations == [] and camera.served == 0


@pytest.mark.parametrize("scheme", ["basic"])
async def test_basic_over_http_is_not_answered_unless_allowed(live: Live, camera: Camera) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with live.http.get(f"{live.url}/api/v1/cameras/{CAMERA}/snapshot", headers=headers) as r:
        assert r.status == 502
        assert (await r.json())["detail"] == (
            "camera asks for Basic authentication over plain http: password not sent "
            "(set the camera's onvif.allow_basic_over_http to allow it)"
        )
    assert camera.authorizations == []


@pytest.mark.parametrize("scheme", ["basic"])
@pytest.mark.parametrize(
    "endpoint_extra", [", snapshot_hosts: ['{snap}'], allow_basic_over_http: true"]
)
async def test_basic_over_http_is_answered_when_allowed(live: Live, camera: Camera) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with live.http.get(f"{live.url}/api/v1/cameras/{CAMERA}/snapshot", headers=headers) as r:
        assert r.status == 200 and await r.read() == JPEG
    assert camera.authorizations == [BASIC]


async def test_camera_without_endpoint_says_why_and_unknown_camera_is_404(live: Live) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with live.http.get(
        f"{live.url}/api/v1/cameras/TANKFARM-EAST-FIX-02/snapshot", headers=headers
    ) as r:
        assert r.status == 502
        assert "no ONVIF endpoint" in (await r.json())["detail"]
    async with live.http.get(f"{live.url}/api/v1/cameras/NOPE/snapshot", headers=headers) as r:
        assert r.status == 404
