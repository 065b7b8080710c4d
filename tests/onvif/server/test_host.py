"""DeviceHost: skewed device clocks, bridge-style inputs, removal, id checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from zeep.exceptions import Fault

from callpoint.onvif.namespaces import TDS, TEV, TT, WSNT, qname
from callpoint.onvif.server import DeviceHost, DigitalInputConfig, VirtualDevice
from onvif import ONVIFCamera  # type: ignore[import-untyped]  # no py.typed
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom
from tests.onvif.server.soapcall import args, call, element
from tests.onvif.server.xsd import assert_valid

pytestmark = pytest.mark.asyncio


async def test_zeep_clock_adjustment_against_a_device_two_hours_ahead() -> None:
    host = DeviceHost()
    device = VirtualDevice(ptz_intercom(), clock=lambda: datetime.now(UTC) + timedelta(hours=2))
    hosted = await host.add(device)
    port = int(hosted.base_url.rsplit(":", 1)[1])
    adjusted = ONVIFCamera("127.0.0.1", port, ADMIN, ADMIN_PW, no_cache=True, adjust_time=True)
    naive = ONVIFCamera("127.0.0.1", port, ADMIN, ADMIN_PW, no_cache=True)
    try:
        await adjusted.update_xaddrs()
        assert adjusted.dt_diff is not None
        assert abs(adjusted.dt_diff.total_seconds() - 7200) < 5
        devicemgmt = await adjusted.create_devicemgmt_service()
        assert (await devicemgmt.GetDeviceInformation()).Model == "Virtual Intercom"
        # Without the adjustment the token's Created time is two hours off: refused.
        plain = await naive.create_devicemgmt_service()
        with pytest.raises(Fault) as excinfo:
            await plain.GetDeviceInformation()
        assert [q.localname for q in excinfo.value.subcodes] == ["NotAuthorized"]
    finally:
        await adjusted.close()
        await naive.close()
        await host.close()


async def test_bridge_inputs_carry_the_location_tag_in_source_items() -> None:
    config = dataclasses.replace(
        ptz_intercom("phone-1"),
        inputs=(DigitalInputConfig("sos", extra_source=(("Location", "TANKFARM-EAST-POST-03"),)),),
    )
    host = DeviceHost()
    device = VirtualDevice(config)
    hosted = await host.add(device, port=None)
    try:
        props = await call(
            f"{hosted.base_url}/onvif/events_service",
            element(TEV, "GetEventProperties"),
            ADMIN,
            ADMIN_PW,
        )
        assert_valid(props.body)
        names = [d.get("Name") for d in props.body.iter(qname(TT, "SimpleItemDescription"))]
        assert names[:3] == ["InputToken", "Location", "LogicalState"]
        created = await call(
            f"{hosted.base_url}/onvif/events_service",
            args(TEV, "CreatePullPointSubscription", InitialTerminationTime="PT30S"),
            ADMIN,
            ADMIN_PW,
        )
        address = created.body.findtext(".//{http://www.w3.org/2005/08/addressing}Address")
        assert address is not None
        device.set_input("sos", True)
        pulled = await call(
            address, args(TEV, "PullMessages", Timeout="PT1S", MessageLimit="50"), ADMIN, ADMIN_PW
        )
        changed = [
            m
            for m in pulled.body.iter(qname(TT, "Message"))
            if m.get("PropertyOperation") == "Changed"
        ]
        (message,) = changed
        source = {i.get("Name"): i.get("Value") for i in message.iter(qname(TT, "SimpleItem"))}
        assert source == {
            "InputToken": "sos",
            "Location": "TANKFARM-EAST-POST-03",
            "LogicalState": "true",
        }
        assert pulled.body.find(qname(WSNT, "NotificationMessage")) is not None
    finally:
        await host.close()


async def test_removed_device_stops_answering_and_ids_are_checked() -> None:
    host = DeviceHost()
    try:
        own = await host.add(VirtualDevice(ptz_intercom("own-port")))
        shared = await host.add(VirtualDevice(ptz_intercom("shared")), port=None)
        for hosted in (own, shared):
            ok = await call(hosted.device_service_url, element(TDS, "GetSystemDateAndTime"))
            assert ok.status == 200
        await host.remove("shared")
        async with (
            aiohttp.ClientSession() as session,
            session.post(shared.device_service_url, data=b"<x/>") as response,
        ):
            assert response.status == 404
        await host.remove("own-port")
        with pytest.raises(OSError):
            await call(own.device_service_url, element(TDS, "GetSystemDateAndTime"))
        with pytest.raises(ValueError, match="not"):
            await host.add(VirtualDevice(ptz_intercom("bad/id")))
    finally:
        await host.close()
