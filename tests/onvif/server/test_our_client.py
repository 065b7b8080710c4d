"""Our own client's request builders and reply parsers (branch onvif-client) agree with
our device server, Media2 included (which onvif-zeep-async does not speak)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from callpoint.onvif import device, deviceio, doorcontrol, events, media, ptz
from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.namespaces import TAC, TDC, TDS, TEV, TMD, TPTZ, TR2, TRT, WSNT
from callpoint.onvif.request import Request
from callpoint.onvif.server import DeviceHost, VirtualDevice
from callpoint.onvif.server.model import DoorMode
from callpoint.onvif.transport import SoapHttp
from tests.onvif.server.conftest import Served
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom
from tests.onvif.server.soapcall import call

pytestmark = pytest.mark.asyncio

PATHS = {
    TDS: "device_service",
    TRT: "media_service",
    TR2: "media2_service",
    TEV: "events_service",
    WSNT: "events_service",
    TPTZ: "ptz_service",
    TMD: "deviceio_service",
    TDC: "doorcontrol_service",
    TAC: "accesscontrol_service",
}


async def send(served: Served, req: Request, url: str | None = None) -> etree._Element:
    target = url or f"{served.hosted.base_url}/onvif/{PATHS[req.service]}"
    answer = await call(target, req.body, ADMIN, ADMIN_PW)
    assert answer.status == 200, etree.tostring(answer.body)
    return answer.body


async def test_device_media_and_media2(served: Served) -> None:
    info = device.parse_device_information(await send(served, device.get_device_information()))
    assert info.serial_number == "SN-0001"
    services = device.parse_services(await send(served, device.get_services()))
    assert {s.namespace for s in services} >= {TDS, TRT, TR2, TEV, TPTZ, TMD, TDC}
    for media2 in (False, True):
        profiles = media.parse_profiles(await send(served, media.get_profiles(media2)))
        assert [(p.token, p.width) for p in profiles] == [("main", 1280), ("sub", 640)]
        uri = media.parse_stream_uri(await send(served, media.get_stream_uri("main", media2)))
        assert uri.uri == "rtsp://127.0.0.1:8554/gate-1"


async def test_ptz_deviceio_and_doors(served: Served) -> None:
    presets = ptz.parse_presets(await send(served, ptz.get_presets("main")))
    assert [p.token for p in presets] == ["1", "2"]
    await send(served, ptz.goto_preset("main", "1"))
    assert served.device.current_preset == "1"
    inputs = deviceio.parse_digital_inputs(await send(served, deviceio.get_digital_inputs()))
    assert [i.token for i in inputs] == ["call-button", "tamper"]
    await send(served, deviceio.set_relay_state("door-relay", True))
    assert served.device.relay_states["door-relay"].value == "active"
    page = doorcontrol.parse_door_info_list(await send(served, doorcontrol.get_door_info_list()))
    assert [d.token for d in page.items] == ["door-1"]
    await send(served, doorcontrol.unlock_door("door-1"))
    state = doorcontrol.parse_door_state(await send(served, doorcontrol.get_door_state("door-1")))
    assert state.mode == DoorMode.UNLOCKED.value
    assert state.lock_physical_state == "Unlocked"
    points = doorcontrol.parse_access_point_info_list(
        await send(served, doorcontrol.get_access_point_info_list(limit=10))
    )
    assert [(p.token, p.entity) for p in points.items] == [("AP_door-1", "door-1")]
    assert points.items[0].entity_type is not None
    assert points.items[0].entity_type.endswith("Door")


async def test_pullpoint_lifecycle(served: Served) -> None:
    props = events.parse_event_properties(await send(served, events.get_event_properties()))
    assert props.has_topic("tns1:Device/Trigger/DigitalInput")
    sub = events.parse_create_pull_point_subscription(
        await send(served, events.create_pull_point_subscription(60.0, "tns1:Device/Trigger//."))
    )
    first = events.parse_pull_messages(
        await send(served, events.pull_messages(0, 100), sub.address)
    )
    assert {m.message.property_operation for m in first.messages} == {"Initialized"}
    served.device.set_input("call-button", True)
    second = events.parse_pull_messages(
        await send(served, events.pull_messages(5, 100), sub.address)
    )
    (changed,) = second.messages
    assert changed.topic == "tns1:Device/Trigger/DigitalInput"
    assert changed.message.item("InputToken") == "call-button"
    assert changed.message.item("LogicalState") == "true"
    renewed = events.parse_renew(await send(served, events.renew(600.0), sub.address))
    assert renewed.termination_time is not None and renewed.current_time is not None
    assert (renewed.termination_time - renewed.current_time).total_seconds() >= 599
    await send(served, events.unsubscribe(), sub.address)
    assert len(served.device.events.table) == 0


async def test_onvif_device_facade_end_to_end_on_a_shared_port() -> None:
    # The client's OnvifDevice (connect, clock, services, Media2 first) against a device
    # served under a path prefix, with a device clock 90 s ahead.
    host = DeviceHost()
    device = VirtualDevice(ptz_intercom(), clock=lambda: datetime.now(UTC) + timedelta(seconds=90))
    hosted = await host.add(device, port=None)
    try:
        async with SoapHttp() as http:
            client = OnvifDevice(hosted.device_service_url, ADMIN, ADMIN_PW, http=http)
            await client.connect()
            assert 85 < client.clock_offset_s < 95
            assert client.has_service(TR2) and client.has_service(TDC)
            assert (await client.device_information()).model == "Virtual Intercom"
            assert [p.token for p in await client.profiles()] == ["main", "sub"]
            assert (await client.stream_uri("main")).uri == "rtsp://127.0.0.1:8554/gate-1"
            await client.goto_preset("main", "2")
            assert device.current_preset == "2"
            await client.set_relay_output_state("door-relay", True)
            assert device.relay_states["door-relay"].value == "active"
            await client.access_door("door-1")
            assert device.door("door-1").value == "Accessed"
            sub = await client.create_pull_point(30.0, "tns1:Device/Trigger/DigitalInput")
            first = await client.pull_messages(sub, 0, 10)
            assert len(first.messages) == 2
            device.set_input("call-button", True)
            second = await client.pull_messages(sub, 5, 10)
            assert [m.message.property_operation for m in second.messages] == ["Changed"]
            renewed = await client.renew(sub, 120.0)
            assert renewed.termination_time is not None
            await client.unsubscribe(sub)
            assert len(device.events.table) == 0
    finally:
        await host.close()
