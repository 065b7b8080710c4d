"""Each device kind: the right services and profiles, and onvif-zeep-async connects to it."""

from __future__ import annotations

import pytest

from callpoint.onvif.server import DeviceHost, DeviceUser, PTZPreset, PTZVector, VirtualDevice
from callpoint.onvif.server.kinds import PHONE_INPUTS, DeviceKind, make_config
from callpoint.onvif.server.subscriptions import SubscriptionKind
from callpoint.onvif.server.topics import SimpleItem
from onvif import ONVIFCamera  # type: ignore[import-untyped]  # no py.typed

pytestmark = pytest.mark.asyncio

USERS = (DeviceUser("admin", "kind-pass"),)
EXPECTED = {
    DeviceKind.INTERCOM: ({"Streaming", "T", "C"}, {"events", "media", "deviceIO", "doorcontrol"}),
    DeviceKind.PTZ_CAMERA: ({"Streaming", "T"}, {"events", "media", "ptz"}),
    DeviceKind.CAMERA: ({"Streaming", "T"}, {"events", "media"}),
    DeviceKind.PHONE: (set(), {"events", "deviceIO"}),
    DeviceKind.IO_MODULE: (set(), {"events", "deviceIO"}),
}


@pytest.mark.parametrize("kind", list(DeviceKind))
async def test_kind_services_profiles_and_zeep_connect(kind: DeviceKind) -> None:
    config = make_config(
        kind,
        f"k-{kind.value.replace('_', '-')}",
        USERS,
        name="Post 3",
        location="TANKFARM-EAST-POST-03",
        presets=(PTZPreset("1", "Gate", PTZVector(0.1, 0.1, 0.1)),),
    )
    device = VirtualDevice(config)
    profiles = {s.rsplit("/", 1)[1] for s in device.scopes() if "/Profile/" in s}
    expected_profiles, expected_services = EXPECTED[kind]
    assert profiles == expected_profiles
    host = DeviceHost()
    hosted = await host.add(device)
    port = int(hosted.base_url.rsplit(":", 1)[1])
    cam = ONVIFCamera("127.0.0.1", port, "admin", "kind-pass", no_cache=True, adjust_time=True)
    try:
        await cam.update_xaddrs()
        services = {ns.split("/")[-2] for ns in cam.xaddrs}
        assert services >= expected_services
        if kind is DeviceKind.PHONE:
            deviceio = await cam.create_deviceio_service()
            inputs = await deviceio.GetDigitalInputs()
            assert tuple(i.token for i in inputs) == PHONE_INPUTS
            sub = device.events.subscribe(SubscriptionKind.PULL_POINT, None)
            sources = {m.source for m in sub.take(100) if m.topic == "Device/Trigger/DigitalInput"}
            assert (
                SimpleItem("InputToken", "sos"),
                SimpleItem("Location", "TANKFARM-EAST-POST-03"),
            ) in sources
    finally:
        await cam.close()
        await host.close()
