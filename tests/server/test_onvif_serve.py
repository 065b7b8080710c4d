"""`callpoint serve` with ONVIF devices: presses arrive as events, presets move cameras.

The example site with two endpoints added, both served by our virtual device server: the
gate intercom (its call button is an ONVIF digital input) and the tank-farm PTZ camera.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost
from callpoint.onvif.server.model import PTZPreset, PTZVector
from tests.ingress.onvifsupport import wait_until
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom
from tests.server.conftest import Live, SiteEdit

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def devices() -> AsyncIterator[dict[str, tuple[VirtualDevice, str]]]:
    host = DeviceHost()
    intercom = VirtualDevice(ptz_intercom("gate"))
    ptz = dataclasses.replace(
        ptz_intercom("ptz"),
        ptz_presets=(
            PTZPreset("1", "Home", PTZVector()),
            PTZPreset("7", "Gate", PTZVector(0.5, 0.0, 0.2)),
        ),
    )
    camera = VirtualDevice(ptz)
    out = {
        "intercom": (intercom, (await host.add(intercom)).device_service_url),
        "camera": (camera, (await host.add(camera)).device_service_url),
    }
    try:
        yield out
    finally:
        await host.close()


def endpoint(url: str, indent: str) -> str:
    return (
        f"\n{indent}onvif:\n{indent}  url: {url}\n{indent}  username: {ADMIN}\n"
        f"{indent}  password: {{env: CP_ONVIF_PW}}"
    )


@pytest.fixture
def site_text(
    devices: dict[str, tuple[VirtualDevice, str]], monkeypatch: pytest.MonkeyPatch
) -> SiteEdit:
    monkeypatch.setenv("CP_ONVIF_PW", ADMIN_PW)

    def edit(text: str) -> str:
        cam = "  - id: TANKFARM-EAST-PTZ-01\n    kind: ptz"
        assert cam in text
        text = text.replace(
            cam, cam + endpoint(devices["camera"][1], "    ") + "\n      event_mode: off"
        )
        gate = "    camera: MAIN-GATE-INTERCOM-CAM"
        assert gate in text
        return text.replace(gate, gate + endpoint(devices["intercom"][1], "    "))

    return edit


async def test_onvif_input_is_stored_as_an_event(
    live: Live, devices: dict[str, tuple[VirtualDevice, str]]
) -> None:
    ingress = live.server.onvif_events
    assert set(ingress.workers) == {"GATE-INTERCOM-01"}  # the camera has event_mode: off
    await wait_until(lambda: ingress.workers["GATE-INTERCOM-01"].healthy, 15, "PullPoint")
    async with live.http.get(live.url + "/healthz") as r:
        health = await r.json()
    assert (health["onvif_event_devices"], health["onvif_event_devices_flowing"]) == (1, 1)
    devices["intercom"][0].set_input("call-button", True)

    async def stored() -> list[dict[str, object]]:
        return [
            e for e in (await live.get("/api/v1/events"))["events"] if e["type"] == "input_active"
        ]

    for _ in range(250):
        found = await stored()
        if found:
            break
        await asyncio.sleep(0.02)
    assert found, "no input_active event stored"
    assert found[0]["device"] == "GATE-INTERCOM-01" and found[0]["source"] == "onvif"
    assert found[0]["location"] == "MAIN-GATE"


async def test_off_hook_moves_the_ptz_camera_to_its_preset(
    live: Live, devices: dict[str, tuple[VirtualDevice, str]]
) -> None:
    camera = devices["camera"][0]
    status, body = await live.post_event("EXPH-03", "off_hook")
    assert status == 202
    await wait_until(lambda: camera.current_preset == "7", 10, "camera on preset 7")
    for _ in range(100):
        inc = await live.get(f"/api/v1/incidents/{body['incident_id']}")
        preset = next(a for a in inc["actions"] if a["kind"] == "preset")
        if preset["state"] == "done":
            break
        await asyncio.sleep(0.02)
    assert preset["state"] == "done"


async def test_reload_stops_and_starts_subscriptions(
    live: Live, devices: dict[str, tuple[VirtualDevice, str]]
) -> None:
    ingress = live.server.onvif_events
    await wait_until(lambda: ingress.flowing() == 1, 15, "PullPoint")
    text = live.config.read_text()
    gate_endpoint = endpoint(devices["intercom"][1], "    ")
    assert gate_endpoint in text
    live.config.write_text(text.replace(gate_endpoint, gate_endpoint + "\n      event_mode: off"))
    ok, issues = await live.server.reload("test")
    assert ok, issues
    assert ingress.workers == {}
    live.config.write_text(text)
    ok, issues = await live.server.reload("test")
    assert ok, issues
    assert set(ingress.workers) == {"GATE-INTERCOM-01"}
    await wait_until(lambda: ingress.flowing() == 1, 15, "PullPoint again")
