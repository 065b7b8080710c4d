"""Simulated devices reaching a real callpoint server on loopback, as webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from callpoint.model import EventType
from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.transport import SoapHttp
from callpoint.server import ServeOptions, Server
from callpoint.sim import PressError, SimOptions, Simulator
from tests.conftest import EXAMPLE_SITE

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def server(tmp_path: Path, site_env: None) -> AsyncIterator[Server]:
    srv = Server(ServeOptions(EXAMPLE_SITE, tmp_path / "cp.db", listen="127.0.0.1:0"))
    await srv.start()
    yield srv
    await srv.stop()


@pytest_asyncio.fixture
async def sim(server: Server) -> AsyncIterator[Simulator]:
    options = SimOptions(callpoint_url=server.url, media=False, password="pw-sim")
    async with Simulator(server.site.config, options) as simulator:
        yield simulator


async def test_phone_sos_becomes_an_incident(server: Server, sim: Simulator) -> None:
    result = await sim.press("EXPH-03", "sos")
    assert result.delivery is not None and result.delivery.status == 202
    incident_id = result.delivery.incident_id
    assert incident_id is not None
    incident = await server.store.incident(incident_id)
    assert incident is not None
    assert (incident.location, incident.trigger, incident.device_id) == (
        "TANKFARM-EAST-POST-03",
        EventType.SOS,
        "EXPH-03",
    )
    assert incident.priority == 90


async def test_phone_call_sequence_arrives_in_order(server: Server, sim: Simulator) -> None:
    for event in ("off_hook", "call_connected", "call_ended"):
        result = await sim.press("EXPH-07", event)
        assert result.delivery is not None and result.delivery.accepted, result
    incidents = await server.store.incidents(limit=10)
    [incident] = [i for i in incidents if i.device_id == "EXPH-07"]
    assert incident.trigger is EventType.OFF_HOOK
    assert not incident.active  # call_ended cleared it
    assert incident.live  # call_connected marked it live on the way


async def test_intercom_button_and_vms_door_relay_reach_callpoint(
    server: Server, sim: Simulator
) -> None:
    result = await sim.press("GATE-INTERCOM-01", "button_press")
    assert result.delivery is not None and result.delivery.status == 202
    intercom = sim.video("GATE-INTERCOM-01")
    assert intercom.device.inputs["call-button"] is True  # the ONVIF side saw the press too

    # A VMS pulses the intercom's door relay over ONVIF: the intercom reports door_open.
    async with SoapHttp() as http:
        onvif = OnvifDevice(intercom.hosted.device_service_url, "admin", "pw-sim", http=http)
        await onvif.connect()
        await onvif.set_relay_output_state("door-relay", True)
    async with asyncio.timeout(5):
        while not any(d.event_type == "door_open" for d in sim.webhooks.outcomes):
            await asyncio.sleep(0.05)
    [door] = [d for d in sim.webhooks.outcomes if d.event_type == "door_open"]
    assert door.status == 202
    assert intercom.device.door_modes["door"].value == "Accessed"


async def test_unknown_device_or_event_is_refused(sim: Simulator) -> None:
    with pytest.raises(PressError):
        await sim.press("NOPE", "sos")
    with pytest.raises(PressError):
        await sim.press("EXPH-03", "button_press")
    with pytest.raises(PressError):
        await sim.press("EXPH-03", "explode")


async def test_control_page_lists_devices_and_presses_buttons(
    server: Server, sim: Simulator
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(sim.control_url) as resp:
            page = await resp.text()
        assert resp.status == 200 and resp.content_type == "text/html"
        for device_id in sim.devices:
            assert device_id in page
        assert "press('EXPH-03', 'sos')" in page
        async with http.post(
            sim.control_url + "api/press", json={"device": "EXPH-03", "event": "off_hook"}
        ) as resp:
            answer = await resp.json()
        assert resp.status == 200 and answer["callpoint_status"] == 202
        assert answer["incident_id"]
        async with http.get(sim.control_url + "api/devices") as resp:
            devices = {d["id"]: d for d in (await resp.json())["devices"]}
        assert devices["EXPH-03"]["state"]["off_hook"] is True
        assert devices["TANKFARM-EAST-PTZ-01"]["state"]["preset"] == "1"  # its home preset
        async with http.post(sim.control_url + "api/press", data=b"[1]") as resp:
            assert resp.status == 400
        async with http.get(sim.control_url + "api/vms/VMS-NX") as resp:
            assert (await resp.json())["calls"] == []
