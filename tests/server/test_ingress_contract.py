"""The ingress contract through a running server: one normaliser for every source, and a
new adapter that is one class and one entry in the server's list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from callpoint.component import Health, SiteReload
from callpoint.ingress.contract import EventSink, IngressContext, RawEvent
from callpoint.model import Source
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost
from callpoint.server import INGRESSES, ServeOptions, Server
from tests.conftest import EXAMPLE_SITE
from tests.ingress.onvifsupport import wait_until
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom
from tests.server.conftest import Live, SiteEdit

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def intercom() -> AsyncIterator[tuple[VirtualDevice, str]]:
    host = DeviceHost()
    device = VirtualDevice(ptz_intercom("gate"))
    url = (await host.add(device)).device_service_url
    try:
        yield device, url
    finally:
        await host.close()


@pytest.fixture
def site_text(intercom: tuple[VirtualDevice, str], monkeypatch: pytest.MonkeyPatch) -> SiteEdit:
    """The gate intercom's call button, read over ONVIF, is its SOS."""
    monkeypatch.setenv("CP_ONVIF_PW", ADMIN_PW)
    onvif = (
        f"\n    onvif:\n      url: {intercom[1]}\n      username: {ADMIN}\n"
        "      password: {env: CP_ONVIF_PW}\n      events:\n"
        "        - topic: tns1:Device/Trigger/DigitalInput\n"
        "          item: LogicalState\n          value: 'true'\n"
        "          source: {InputToken: call-button}\n          event: sos"
    )

    def edit(text: str) -> str:
        gate = "    camera: MAIN-GATE-INTERCOM-CAM"
        assert gate in text
        return text.replace(gate, gate + onvif)

    return edit


async def stored_sos(live: Live) -> list[dict[str, Any]]:
    events = (await live.get("/api/v1/events", device="GATE-INTERCOM-01"))["events"]
    return [e for e in events if e["type"] == "sos"]


async def test_the_same_sos_by_webhook_and_by_onvif_gets_the_same_priority_and_location(
    live: Live, intercom: tuple[VirtualDevice, str]
) -> None:
    ingress = live.server.onvif_events
    await wait_until(lambda: ingress.flowing() == 1, 15, "PullPoint")
    intercom[0].set_input("call-button", True)
    for _ in range(250):
        if await stored_sos(live):
            break
        await asyncio.sleep(0.02)
    status, _ = await live.post_event("GATE-INTERCOM-01", "sos")
    assert status == 202
    by_source = {e["source"]: e for e in await stored_sos(live)}
    assert set(by_source) == {"onvif", "webhook"}
    onvif, webhook = by_source["onvif"], by_source["webhook"]
    # The site's SOS rule gives 90 (EMERGENCY): syslog writes both as CRITICAL.
    assert (onvif["priority"], onvif["location"]) == (90, "MAIN-GATE")
    assert (webhook["priority"], webhook["location"]) == (90, "MAIN-GATE")


class ToyIngress:
    """A whole adapter: a route that turns `POST /toy/{device}/{type}` into events."""

    def __init__(self, ctx: IngressContext) -> None:
        self.sink: EventSink = ctx.sink
        self.started = False
        self.reloads = 0
        self.taken = 0

    async def start(self) -> None:
        self.started = True

    async def reload(self, change: SiteReload) -> None:
        self.reloads += 1

    def health(self) -> Health:
        return {"toy_events": self.taken}

    async def stop(self) -> None:
        self.started = False

    def routes(self) -> Sequence[web.RouteDef]:
        return [web.post("/toy/{device}/{type}", self.handle)]

    async def handle(self, request: web.Request) -> web.Response:
        raw = RawEvent(request.match_info["device"], request.match_info["type"], Source.MQTT)
        event = self.sink.normalise(raw, self.sink.now())
        decision = await self.sink.submit_event(event)
        self.taken += 1
        return web.json_response({"incident_id": decision.incident_id})


async def test_a_toy_adapter_in_one_line_reaches_an_incident(
    tmp_path: Path, site_env: None
) -> None:
    options = ServeOptions(EXAMPLE_SITE, tmp_path / "cp.db", listen="127.0.0.1:0")
    server = Server(options, ingresses=(*INGRESSES, ToyIngress))
    await server.start()
    toy = server.ingress(ToyIngress)
    try:
        assert toy.started
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{server.url}/toy/EXPH-03/sos") as r:
                assert r.status == 200, await r.text()
                incident_id = (await r.json())["incident_id"]
            async with http.get(f"{server.url}/healthz") as r:
                assert (await r.json())["toy_events"] == 1
        assert incident_id is not None
        incident = await server.store.incident(incident_id)
        assert incident is not None
        assert (incident.location, incident.trigger, incident.priority) == (
            "TANKFARM-EAST-POST-03",
            "sos",
            90,
        )
        events = await server.store.events_for_incident(incident_id)
        assert [e.source for e in events] == [Source.MQTT]
        ok, _ = await server.reload("test")
        assert ok and toy.reloads == 1
    finally:
        await server.stop()
    assert not toy.started
