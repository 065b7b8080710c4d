"""`callpoint serve` receiving ONVIF events by base notification: the device POSTs Notify to
the server's own `/onvif/notify/{key}` route (public: the key is the check)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest

from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost
from callpoint.server import ServeOptions, Server
from tests.conftest import API_TOKEN, EXAMPLE_SITE
from tests.ingress.onvifsupport import wait_until
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom

pytestmark = pytest.mark.asyncio


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_notify_delivery_through_the_served_route(
    tmp_path: Path, site_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CP_ONVIF_PW", ADMIN_PW)
    host = DeviceHost()
    intercom = VirtualDevice(ptz_intercom("gate"))
    url = (await host.add(intercom)).device_service_url
    port = free_port()
    text = EXAMPLE_SITE.read_text()
    gate = "    camera: MAIN-GATE-INTERCOM-CAM"
    endpoint = (
        f"\n    onvif:\n      url: {url}\n      username: {ADMIN}\n"
        "      password: {env: CP_ONVIF_PW}\n      event_mode: notify"
    )
    text = text.replace(gate, gate + endpoint)
    text = text.replace("server:\n", f"server:\n  public_url: http://127.0.0.1:{port}\n", 1)
    config = tmp_path / "site.yaml"
    config.write_text(text)
    server = Server(ServeOptions(config=config, db=tmp_path / "cp.db", listen=f"127.0.0.1:{port}"))
    await server.start()
    try:
        worker = server.onvif_events.workers["GATE-INTERCOM-01"]
        await wait_until(lambda: worker.healthy, 15, "Notify subscription")
        assert worker.mode == "notify"
        intercom.set_input("call-button", True)
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        found: list[dict[str, object]] = []
        async with aiohttp.ClientSession() as http:
            for _ in range(250):
                async with http.get(f"{server.url}/api/v1/events", headers=headers) as r:
                    events = (await r.json())["events"]
                found = [e for e in events if e["type"] == "input_active"]
                if found:
                    break
                await asyncio.sleep(0.02)
        assert found and found[0]["device"] == "GATE-INTERCOM-01"
    finally:
        await server.stop()
        await host.close()
