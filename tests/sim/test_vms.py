"""The VMS receivers record exactly what they are sent."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest

from callpoint.sim import MilestoneReceiver, NxReceiver, SimKind, VmsFlavour
from callpoint.sim.plan import DevicePlan

pytestmark = pytest.mark.asyncio

MILESTONE = DevicePlan("VMS-MILESTONE", SimKind.VMS, vms=VmsFlavour.MILESTONE)
NX = DevicePlan("VMS-NX", SimKind.VMS, vms=VmsFlavour.NX)


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def _wait_for(receiver: MilestoneReceiver | NxReceiver, count: int) -> None:
    async with asyncio.timeout(5):
        while len(receiver.calls) < count:
            receiver.changed.clear()
            await receiver.changed.wait()


async def test_milestone_receiver_records_lines_and_xml() -> None:
    receiver = MilestoneReceiver(MILESTONE)
    await receiver.start()
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(b"SOS TANKFARM-EAST-POST-03\r\nOFFHOOK TANKFARM-EAST-POST-07\r\n")
        writer.write(b"<GenericEvent><Name>callpoint</Name></GenericEvent>")  # no separator
        await writer.drain()
        writer.close()  # ends the last event
        await _wait_for(receiver, 3)
        assert [c.payload for c in receiver.calls] == [
            "SOS TANKFARM-EAST-POST-03",
            "OFFHOOK TANKFARM-EAST-POST-07",
            "<GenericEvent><Name>callpoint</Name></GenericEvent>",
        ]
        assert receiver.line().to_json()["url"] == f"tcp://127.0.0.1:{receiver.port}"
    finally:
        await receiver.close()


async def test_nx_receiver_records_create_event_and_demands_auth() -> None:
    receiver = NxReceiver(NX, "admin", "pw-1")
    await receiver.start()
    url = f"http://127.0.0.1:{receiver.port}/api/createEvent"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url, params={"source": "callpoint"}) as resp:
                assert resp.status == 401
            auth = _basic("admin", "pw-1")
            params = {"source": "callpoint", "caption": "SOS", "description": "POST-03"}
            async with http.get(url, params=params, headers=auth) as resp:
                assert resp.status == 200
                assert (await resp.json())["error"] == "0"
            body = {"source": "callpoint", "caption": "Off hook", "description": "POST-07"}
            async with http.post(url, json=body, headers=auth) as resp:
                assert resp.status == 200
            async with http.get(url, headers=_basic("admin", "wrong")) as resp:
                assert resp.status == 401
        assert [c.fields for c in receiver.calls] == [params, body]
        assert all(c.user == "admin" for c in receiver.calls)
    finally:
        await receiver.close()
