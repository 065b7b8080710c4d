"""onvif-zeep-async (Home Assistant's ONVIF client, not ours) against our device server.

When the client and the server disagree, the server is wrong: these tests are not to be
bent to fit the server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from lxml import etree
from zeep.exceptions import Fault

from callpoint.onvif.server.model import DoorMode, PTZVector, RelayLogicalState
from onvif import ONVIFCamera  # type: ignore[import-untyped]  # no py.typed
from tests.onvif.server.conftest import Served
from tests.onvif.server.sites import ADMIN, ADMIN_PW, VIEWER, VIEWER_PW

pytestmark = pytest.mark.asyncio


def subcodes(fault: Fault) -> list[str]:
    """Local names of a zeep fault's subcodes."""
    return [q.localname for q in fault.subcodes or []]


@pytest_asyncio.fixture
async def camera(served: Served) -> AsyncIterator[ONVIFCamera]:
    cam = ONVIFCamera("127.0.0.1", served.port, ADMIN, ADMIN_PW, no_cache=True, adjust_time=True)
    await cam.update_xaddrs()
    try:
        yield cam
    finally:
        await cam.close()


async def test_connects_with_clock_adjustment_and_reads_device_information(
    camera: ONVIFCamera, served: Served
) -> None:
    assert camera.dt_diff is not None
    assert abs(camera.dt_diff.total_seconds()) < 2
    devicemgmt = await camera.create_devicemgmt_service()
    info = await devicemgmt.GetDeviceInformation()
    assert info.Manufacturer == "callpoint"
    assert info.Model == "Virtual Intercom"
    assert info.FirmwareVersion == "1.2.3"
    assert info.SerialNumber == "SN-0001"
    assert info.HardwareId == "HW-7"
    scopes = await devicemgmt.GetScopes()
    items = {s.ScopeItem for s in scopes}
    assert "onvif://www.onvif.org/Profile/Streaming" in items
    assert "onvif://www.onvif.org/location/GATE-MAIN" in items


async def test_services_and_capabilities_point_at_our_xaddrs(
    camera: ONVIFCamera, served: Served
) -> None:
    base = served.hosted.base_url
    assert camera.xaddrs["http://www.onvif.org/ver10/events/wsdl"] == f"{base}/onvif/events_service"
    assert camera.xaddrs["http://www.onvif.org/ver20/ptz/wsdl"] == f"{base}/onvif/ptz_service"
    assert "http://www.onvif.org/ver10/deviceIO/wsdl" in camera.xaddrs
    caps = await camera.get_capabilities()
    assert caps is not None
    assert caps["Events"]["WSPullPointSupport"] is True
    assert caps["Media"]["XAddr"] == f"{base}/onvif/media_service"
    assert caps["PTZ"]["XAddr"] == f"{base}/onvif/ptz_service"
    devicemgmt = await camera.create_devicemgmt_service()
    services = await devicemgmt.GetServices({"IncludeCapability": True})
    assert {s.Namespace for s in services} >= {
        "http://www.onvif.org/ver10/device/wsdl",
        "http://www.onvif.org/ver10/media/wsdl",
        "http://www.onvif.org/ver20/media/wsdl",
        "http://www.onvif.org/ver10/doorcontrol/wsdl",
    }


async def test_profiles_stream_and_snapshot_uris(camera: ONVIFCamera) -> None:
    media = await camera.create_media_service()
    profiles = await media.GetProfiles()
    assert [p.token for p in profiles] == ["main", "sub"]
    main = profiles[0]
    assert main.VideoEncoderConfiguration.Resolution.Width == 1280
    assert main.PTZConfiguration.token == "PTZConfiguration_1"
    req = media.create_type("GetStreamUri")
    req.ProfileToken = "main"
    req.StreamSetup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
    uri = await media.GetStreamUri(req)
    assert uri.Uri == "rtsp://127.0.0.1:8554/gate-1"
    assert await camera.get_snapshot_uri("main") == "http://127.0.0.1:8080/gate-1.jpg"
    sources = await media.GetVideoSources()
    assert sources[0].token == "VideoSource_1"
    with pytest.raises(Fault) as excinfo:
        await media.GetStreamUri({"ProfileToken": "nope", "StreamSetup": req.StreamSetup})
    assert "InvalidArgVal" in subcodes(excinfo.value)


async def test_ptz_presets_goto_set_remove_and_home(camera: ONVIFCamera, served: Served) -> None:
    seen: list[str | None] = []
    served.device.preset_observers.append(lambda token, _pos: seen.append(token))
    ptz = await camera.create_ptz_service()
    nodes = await ptz.GetNodes()
    assert nodes[0].HomeSupported is True
    presets = await ptz.GetPresets({"ProfileToken": "main"})
    assert [(p.token, p.Name) for p in presets] == [("1", "Gate"), ("2", "Fence")]
    await ptz.GotoPreset({"ProfileToken": "main", "PresetToken": "2"})
    assert served.device.current_preset == "2"
    assert seen == ["2"]
    status = await ptz.GetStatus({"ProfileToken": "main"})
    assert status.Position.PanTilt.x == pytest.approx(-0.5)
    assert status.Position.Zoom.x == pytest.approx(0.5)
    token = await ptz.SetPreset({"ProfileToken": "main", "PresetName": "Car park"})
    assert served.device.presets[token].position == PTZVector(-0.5, 0.0, 0.5)
    await ptz.RemovePreset({"ProfileToken": "main", "PresetToken": token})
    assert token not in served.device.presets
    await ptz.GotoHomePosition({"ProfileToken": "main"})
    assert served.device.current_preset is None
    await ptz.Stop({"ProfileToken": "main"})
    # What Home Assistant asks before offering PTZ controls.
    options = await ptz.GetConfigurationOptions({"ConfigurationToken": "PTZConfiguration_1"})
    assert options.Spaces.RelativePanTiltTranslationSpace[0].XRange.Max == 1
    await ptz.RelativeMove(
        {"ProfileToken": "main", "Translation": {"PanTilt": {"x": 0.25, "y": -3}}}
    )
    assert served.device.position == PTZVector(0.25, -1.0, 0.0)
    with pytest.raises(Fault):
        await ptz.GotoPreset({"ProfileToken": "main", "PresetToken": "99"})


async def test_relay_outputs_and_digital_inputs(camera: ONVIFCamera, served: Served) -> None:
    devicemgmt = await camera.create_devicemgmt_service()
    relays = await devicemgmt.GetRelayOutputs()
    assert relays[0].token == "door-relay"
    assert relays[0].Properties.Mode == "Monostable"
    await devicemgmt.SetRelayOutputState(
        {"RelayOutputToken": "door-relay", "LogicalState": "active"}
    )
    assert served.device.relay_states["door-relay"] is RelayLogicalState.ACTIVE
    deviceio = await camera.create_deviceio_service()
    inputs = await deviceio.GetDigitalInputs()
    assert [i.token for i in inputs] == ["call-button", "tamper"]
    io_relays = await deviceio.GetRelayOutputs()
    assert io_relays[0].Properties.DelayTime == dt.timedelta(seconds=0.5)
    await asyncio.sleep(0.7)  # monostable DelayTime is 0.5 s
    assert served.device.relay_states["door-relay"].value == "inactive"  # re-read after the sleep
    assert served.device.door("door-1") is DoorMode.LOCKED


async def test_pullpoint_events_with_renewal(camera: ONVIFCamera, served: Served) -> None:
    lost: list[bool] = []
    manager = await camera.create_pullpoint_manager(
        dt.timedelta(seconds=60), lambda: lost.append(True)
    )
    try:
        pullpoint = manager.get_service()
        first = await pullpoint.PullMessages(
            {"MessageLimit": 100, "Timeout": dt.timedelta(seconds=1)}
        )
        initial = [
            m
            for m in first.NotificationMessage
            if m.Topic._value_1 == "tns1:Device/Trigger/DigitalInput"
        ]
        assert len(initial) == 2
        message = initial[0].Message._value_1
        assert message.PropertyOperation == "Initialized"
        served.device.set_input("call-button", True)
        second = await pullpoint.PullMessages(
            {"MessageLimit": 100, "Timeout": dt.timedelta(seconds=5)}
        )
        (changed,) = second.NotificationMessage
        assert changed.Topic._value_1 == "tns1:Device/Trigger/DigitalInput"
        # Read the way Home Assistant's ONVIF event parsers read it.
        msg = changed.Message._value_1
        assert msg.PropertyOperation == "Changed"
        assert msg.UtcTime.tzinfo is not None
        assert (msg.Source.SimpleItem[0].Name, msg.Source.SimpleItem[0].Value) == (
            "InputToken",
            "call-button",
        )
        assert (msg.Data.SimpleItem[0].Name, msg.Data.SimpleItem[0].Value) == (
            "LogicalState",
            "true",
        )
        (sub,) = list(served.device.events.table)
        before = sub.termination_time
        subscription = await camera.create_subscription_service("PullPointSubscription")
        renewed = await subscription.Renew(
            camera.get_next_termination_time(dt.timedelta(minutes=10))
        )
        assert renewed.TerminationTime - renewed.CurrentTime > dt.timedelta(minutes=9)
        assert sub.termination_time > before
        await manager.set_synchronization_point()
        again = await pullpoint.PullMessages(
            {"MessageLimit": 100, "Timeout": dt.timedelta(seconds=1)}
        )
        assert {m.Message._value_1.PropertyOperation for m in again.NotificationMessage} == {
            "Initialized"
        }
    finally:
        await manager.shutdown()
    assert len(served.device.events.table) == 0
    assert not lost


async def test_wrong_password_and_low_user_level_are_refused(served: Served) -> None:
    cam = ONVIFCamera("127.0.0.1", served.port, ADMIN, "wrong", no_cache=True)
    try:
        devicemgmt = await cam.create_devicemgmt_service()
        # Allowed without credentials: what the clock adjustment needs.
        assert (await devicemgmt.GetSystemDateAndTime()).UTCDateTime.Date.Year >= 2024
        with pytest.raises(Fault) as excinfo:
            await devicemgmt.GetDeviceInformation()
        assert "NotAuthorized" in subcodes(excinfo.value)
    finally:
        await cam.close()
    viewer = ONVIFCamera("127.0.0.1", served.port, VIEWER, VIEWER_PW, no_cache=True)
    try:
        await viewer.update_xaddrs()
        media = await viewer.create_media_service()
        assert len(await media.GetProfiles()) == 2
        devicemgmt = await viewer.create_devicemgmt_service()
        with pytest.raises(Fault):
            await devicemgmt.SetRelayOutputState(
                {"RelayOutputToken": "door-relay", "LogicalState": "active"}
            )
        assert served.device.relay_states["door-relay"] is RelayLogicalState.INACTIVE
    finally:
        await viewer.close()


async def test_base_notification_notify_is_parsed_by_the_zeep_manager(
    camera: ONVIFCamera, served: Served
) -> None:
    # Home Assistant's webhook path: Subscribe with a consumer URL, then every Notify
    # POSTed there goes through NotificationManager.process().
    received: list[bytes] = []

    async def consumer(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response()

    app = web.Application()
    app.router.add_post("/onvif-webhook", consumer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    manager = await camera.create_notification_manager(
        f"http://127.0.0.1:{port}/onvif-webhook", dt.timedelta(seconds=60), lambda: None
    )
    try:
        served.device.set_input("tamper", True)
        parsed = []
        for _ in range(100):
            parsed = [manager.process(body) for body in received]
            if any(
                m.Message._value_1.PropertyOperation == "Changed"
                for result in parsed
                for m in result.NotificationMessage
            ):
                break
            await asyncio.sleep(0.02)
        messages = [m for result in parsed for m in result.NotificationMessage]
        changed = [m for m in messages if m.Message._value_1.PropertyOperation == "Changed"]
        assert changed, received
        msg = changed[0].Message._value_1
        assert changed[0].Topic._value_1 == "tns1:Device/Trigger/DigitalInput"
        assert msg.Source.SimpleItem[0].Value == "tamper"
        assert msg.Data.SimpleItem[0].Value == "true"
    finally:
        await manager.shutdown()
        await runner.cleanup()
    assert len(served.device.events.table) == 0


async def test_imaging_settings_read_and_set(camera: ONVIFCamera, served: Served) -> None:
    imaging = await camera.create_imaging_service()
    settings = await imaging.GetImagingSettings({"VideoSourceToken": "VideoSource_1"})
    assert settings.Brightness == 50
    await imaging.SetImagingSettings(
        {"VideoSourceToken": "VideoSource_1", "ImagingSettings": {"Brightness": 80.0}}
    )
    assert served.device.imaging["VideoSource_1"].brightness == 80
    with pytest.raises(Fault) as excinfo:
        await imaging.SetImagingSettings(
            {"VideoSourceToken": "VideoSource_1", "ImagingSettings": {"Contrast": 400.0}}
        )
    assert subcodes(excinfo.value)[0] == "InvalidArgVal"
    assert served.device.imaging["VideoSource_1"].contrast == 50
    options = await imaging.GetOptions({"VideoSourceToken": "VideoSource_1"})
    assert options.Brightness.Max == 100


async def test_event_properties_and_service_capabilities(camera: ONVIFCamera) -> None:
    events = await camera.create_events_service()
    props = await events.GetEventProperties()
    assert props.FixedTopicSet is True
    assert "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet" in (
        props.TopicExpressionDialect
    )
    roots = {etree.QName(e).localname: e for e in props.TopicSet._value_1}
    assert {"Device", "Door", "AccessPoint", "VideoSource", "PTZController"} <= set(roots)
    leaf = roots["Device"].find(
        "{http://www.onvif.org/ver10/topics}Trigger/{http://www.onvif.org/ver10/topics}DigitalInput"
    )
    assert leaf is not None
    assert leaf.get("{http://docs.oasis-open.org/wsn/t-1}topic") == "true"
    caps = await events.GetServiceCapabilities()
    assert caps.WSPullPointSupport is True
