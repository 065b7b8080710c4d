"""Every response we send validates against the official ONVIF schemas.

The schemas are the WSDL/XSD files shipped by onvif-zeep-async (tests/onvif/server/xsd.py).
Media2 has no WSDL in that package, so its answers are checked by the zeep tests only.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from callpoint.onvif.namespaces import TAC, TDC, TDS, TEV, TIMG, TMD, TPTZ, TRT, TT, WSNT, qname
from callpoint.onvif.server.svc_events import notify_body
from callpoint.onvif.server.topics import NotificationMessage, PropertyOperation, SimpleItem
from tests.onvif.server.conftest import Served
from tests.onvif.server.sites import ADMIN, ADMIN_PW
from tests.onvif.server.soapcall import args, call, element
from tests.onvif.server.xsd import assert_valid


def stream_uri() -> etree._Element:
    req = element(TRT, "GetStreamUri")
    setup = etree.SubElement(req, qname(TRT, "StreamSetup"))
    etree.SubElement(setup, qname(TT, "Stream")).text = "RTP-Unicast"
    transport = etree.SubElement(setup, qname(TT, "Transport"))
    etree.SubElement(transport, qname(TT, "Protocol")).text = "RTSP"
    etree.SubElement(req, qname(TRT, "ProfileToken")).text = "main"
    return req


def absolute_move() -> etree._Element:
    req = args(TPTZ, "AbsoluteMove", ProfileToken="main")
    position = etree.SubElement(req, qname(TPTZ, "Position"))
    etree.SubElement(position, qname(TT, "PanTilt"), x="0.1", y="-0.2")
    etree.SubElement(position, qname(TT, "Zoom"), x="0.3")
    return req


def relative_move() -> etree._Element:
    req = args(TPTZ, "RelativeMove", ProfileToken="main")
    translation = etree.SubElement(req, qname(TPTZ, "Translation"))
    etree.SubElement(translation, qname(TT, "PanTilt"), x="0.5", y="-2")
    return req


def set_imaging() -> etree._Element:
    req = args(TIMG, "SetImagingSettings", VideoSourceToken="VideoSource_1")
    settings = etree.SubElement(req, qname(TIMG, "ImagingSettings"))
    etree.SubElement(settings, qname(TT, "Brightness")).text = "70"
    etree.SubElement(settings, qname(TT, "IrCutFilter")).text = "OFF"
    return req


def categories() -> etree._Element:
    req = element(TDS, "GetCapabilities")
    for name in ("Media", "Events"):
        etree.SubElement(req, qname(TDS, "Category")).text = name
    return req


CASES: list[tuple[str, object]] = [
    ("device_service", lambda: element(TDS, "GetDeviceInformation")),
    ("device_service", lambda: args(TDS, "GetServices", IncludeCapability="true")),
    ("device_service", lambda: args(TDS, "GetServices", IncludeCapability="false")),
    ("device_service", lambda: element(TDS, "GetServiceCapabilities")),
    ("device_service", lambda: args(TDS, "GetCapabilities", Category="All")),
    ("device_service", lambda: element(TDS, "GetSystemDateAndTime")),
    ("device_service", lambda: element(TDS, "GetHostname")),
    ("device_service", lambda: element(TDS, "GetScopes")),
    ("device_service", lambda: element(TDS, "GetUsers")),
    ("device_service", lambda: element(TDS, "GetNetworkInterfaces")),
    ("device_service", lambda: element(TDS, "GetNTP")),
    ("device_service", lambda: element(TDS, "GetWsdlUrl")),
    ("device_service", lambda: element(TDS, "GetEndpointReference")),
    ("device_service", lambda: element(TDS, "GetNetworkProtocols")),
    ("device_service", lambda: element(TDS, "GetDNS")),
    ("device_service", lambda: element(TDS, "GetNetworkDefaultGateway")),
    ("device_service", lambda: element(TDS, "GetDiscoveryMode")),
    ("device_service", categories),
    ("device_service", lambda: element(TDS, "GetRelayOutputs")),
    (
        "device_service",
        lambda: args(
            TDS, "SetRelayOutputState", RelayOutputToken="door-relay", LogicalState="active"
        ),
    ),
    ("media_service", lambda: element(TRT, "GetProfiles")),
    ("media_service", lambda: args(TRT, "GetProfile", ProfileToken="main")),
    ("media_service", stream_uri),
    ("media_service", lambda: args(TRT, "GetSnapshotUri", ProfileToken="main")),
    ("media_service", lambda: element(TRT, "GetVideoSources")),
    ("media_service", lambda: element(TRT, "GetAudioOutputs")),
    ("media_service", lambda: element(TRT, "GetAudioSources")),
    ("media_service", lambda: element(TRT, "GetVideoSourceConfigurations")),
    ("media_service", lambda: element(TRT, "GetVideoEncoderConfigurations")),
    ("media_service", lambda: element(TRT, "GetServiceCapabilities")),
    ("events_service", lambda: element(TEV, "GetEventProperties")),
    ("events_service", lambda: element(TEV, "GetServiceCapabilities")),
    (
        "events_service",
        lambda: args(TEV, "CreatePullPointSubscription", InitialTerminationTime="PT60S"),
    ),
    ("ptz_service", lambda: element(TPTZ, "GetNodes")),
    ("ptz_service", lambda: args(TPTZ, "GetNode", NodeToken="PTZNode_1")),
    ("ptz_service", lambda: element(TPTZ, "GetConfigurations")),
    (
        "ptz_service",
        lambda: args(TPTZ, "GetConfiguration", PTZConfigurationToken="PTZConfiguration_1"),
    ),
    ("ptz_service", lambda: args(TPTZ, "GetPresets", ProfileToken="main")),
    ("ptz_service", lambda: args(TPTZ, "GotoPreset", ProfileToken="main", PresetToken="1")),
    ("ptz_service", lambda: args(TPTZ, "SetPreset", ProfileToken="main", PresetName="New")),
    ("ptz_service", lambda: args(TPTZ, "GotoHomePosition", ProfileToken="main")),
    ("ptz_service", lambda: args(TPTZ, "GetStatus", ProfileToken="main")),
    ("ptz_service", lambda: args(TPTZ, "Stop", ProfileToken="main")),
    ("ptz_service", absolute_move),
    ("ptz_service", relative_move),
    (
        "ptz_service",
        lambda: args(TPTZ, "GetConfigurationOptions", ConfigurationToken="PTZConfiguration_1"),
    ),
    ("ptz_service", lambda: element(TPTZ, "GetServiceCapabilities")),
    ("deviceio_service", lambda: element(TMD, "GetDigitalInputs")),
    ("deviceio_service", lambda: element(TDS, "GetRelayOutputs")),
    ("deviceio_service", lambda: element(TMD, "GetServiceCapabilities")),
    ("doorcontrol_service", lambda: element(TDC, "GetDoorInfoList")),
    ("doorcontrol_service", lambda: args(TDC, "GetDoorState", Token="door-1")),
    ("doorcontrol_service", lambda: args(TDC, "AccessDoor", Token="door-1", AccessTime="PT1S")),
    ("doorcontrol_service", lambda: args(TDC, "LockDoor", Token="door-1")),
    ("doorcontrol_service", lambda: args(TDC, "UnlockDoor", Token="door-1")),
    ("doorcontrol_service", lambda: element(TDC, "GetServiceCapabilities")),
    ("accesscontrol_service", lambda: element(TAC, "GetServiceCapabilities")),
    ("imaging_service", lambda: element(TIMG, "GetServiceCapabilities")),
    ("imaging_service", lambda: args(TIMG, "GetImagingSettings", VideoSourceToken="VideoSource_1")),
    ("imaging_service", lambda: args(TIMG, "GetOptions", VideoSourceToken="VideoSource_1")),
    ("imaging_service", lambda: args(TIMG, "GetMoveOptions", VideoSourceToken="VideoSource_1")),
    ("imaging_service", lambda: args(TIMG, "GetStatus", VideoSourceToken="VideoSource_1")),
    ("imaging_service", set_imaging),
    ("accesscontrol_service", lambda: element(TAC, "GetAccessPointInfoList")),
    ("accesscontrol_service", lambda: args(TAC, "GetAccessPointInfo", Token="AP_door-1")),
    ("accesscontrol_service", lambda: element(TAC, "GetAreaInfoList")),
    ("accesscontrol_service", lambda: args(TAC, "GetAccessPointState", Token="AP_door-1")),
    ("accesscontrol_service", lambda: args(TAC, "DisableAccessPoint", Token="AP_door-1")),
    ("accesscontrol_service", lambda: args(TAC, "EnableAccessPoint", Token="AP_door-1")),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("service", "build"), CASES, ids=[f"{s}-{i}" for i, (s, _) in enumerate(CASES)]
)
async def test_response_validates(served: Served, service: str, build: object) -> None:
    assert callable(build)
    answer = await call(f"{served.hosted.base_url}/onvif/{service}", build(), ADMIN, ADMIN_PW)
    assert answer.status == 200, etree.tostring(answer.body)
    assert_valid(answer.body)


@pytest.mark.asyncio
async def test_subscription_answers_validate(served: Served) -> None:
    base = served.hosted.base_url
    created = await call(
        f"{base}/onvif/events_service",
        args(TEV, "CreatePullPointSubscription", InitialTerminationTime="PT60S"),
        ADMIN,
        ADMIN_PW,
    )
    address = created.body.findtext(".//{http://www.w3.org/2005/08/addressing}Address")
    assert address is not None and address.startswith(base)
    served.device.set_input("call-button", True)
    pulled = await call(
        address, args(TEV, "PullMessages", Timeout="PT1S", MessageLimit="10"), ADMIN, ADMIN_PW
    )
    assert len(pulled.body.findall(qname(WSNT, "NotificationMessage"))) >= 3
    assert_valid(pulled.body)
    for request in (
        element(TEV, "SetSynchronizationPoint"),
        args(WSNT, "Renew", TerminationTime="PT120S"),
        element(WSNT, "Unsubscribe"),
    ):
        answer = await call(address, request, ADMIN, ADMIN_PW)
        assert answer.status == 200
        assert_valid(answer.body)


@pytest.mark.asyncio
async def test_capability_categories_select_branches(served: Served) -> None:
    answer = await call(served.hosted.device_service_url, categories(), ADMIN, ADMIN_PW)
    caps = answer.body.find(qname(TDS, "Capabilities"))
    assert caps is not None
    assert [etree.QName(c).localname for c in caps] == ["Events", "Media"]
    protocols = await call(
        served.hosted.device_service_url, element(TDS, "GetNetworkProtocols"), ADMIN, ADMIN_PW
    )
    ports = {
        p.findtext(qname(TT, "Name")): [int(x.text or 0) for x in p.iter(qname(TT, "Port"))]
        for p in protocols.body
    }
    assert ports == {"HTTP": [served.port], "RTSP": [8554]}
    analytics = await call(
        served.hosted.device_service_url,
        args(TDS, "GetCapabilities", Category="Analytics"),
        ADMIN,
        ADMIN_PW,
    )
    assert analytics.status == 500
    assert b"NoSuchService" in etree.tostring(analytics.body)


def test_notify_body_validates() -> None:
    message = NotificationMessage(
        "Device/Trigger/DigitalInput",
        datetime(2026, 11, 21, tzinfo=UTC),
        PropertyOperation.CHANGED,
        (SimpleItem("InputToken", "sos"), SimpleItem("Location", "POST-03")),
        (SimpleItem("LogicalState", "true"),),
    )
    body = notify_body([message, message], "http://127.0.0.1:1/onvif/subscription/x")
    assert len(body) == 2
    assert_valid(body)
