"""Recorded and spec-derived replies parse into the right values, quirks included."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from callpoint.codecs.soap import Envelope, parse_envelope, raise_for_fault
from callpoint.onvif import device, deviceio, doorcontrol, events, media, ptz
from callpoint.onvif.errors import (
    NoSuchServiceFault,
    NotAuthorizedFault,
    RemoteProtocolError,
    SoapFault,
)
from callpoint.onvif.eventmap import DEFAULT_RULES, EventRule, map_event
from callpoint.onvif.namespaces import TDC, TDS, TEV, TMD, TR2, TRT
from callpoint.onvif.scopes import declared_profiles, scope_name

FIXTURES = Path(__file__).parent.parent / "fixtures" / "onvif"


BROKEN = {"ipycam_virtualcam_GetPresets.xml", "ipycam_virtualcam_GetStatus.xml"}


def load(name: str) -> Envelope:
    return parse_envelope((FIXTURES / name).read_bytes())


def test_every_fixture_is_documented_and_parses_or_fails_cleanly() -> None:
    readme = (FIXTURES / "README.md").read_text()
    files = sorted(FIXTURES.glob("*.xml"))
    assert len(files) >= 25
    for f in files:
        assert f.name.split("_")[0] + "_" in readme, f.name
        try:
            parse_envelope(f.read_bytes())
        except RemoteProtocolError:
            assert f.name in BROKEN


def test_ipycam_device_information_and_scopes() -> None:
    info = device.parse_device_information(load("ipycam_virtualcam_GetDeviceInformation.xml").body)
    assert (info.manufacturer, info.model, info.serial_number) == (
        "PythonCam",
        "VirtualCam-1",
        "PY-000001",
    )
    scopes = device.parse_scopes(load("ipycam_virtualcam_GetScopes.xml").body)
    assert declared_profiles(scopes) == {"S"}
    assert scope_name(scopes) == "Virtual Camera"


def test_ipycam_services_capabilities_profiles_and_uris() -> None:
    services = device.parse_services(load("ipycam_virtualcam_GetServices.xml").body)
    assert {s.namespace for s in services} >= {TDS, TRT}
    caps = device.parse_capabilities(load("ipycam_virtualcam_GetCapabilities.xml").body)
    assert any(s.namespace == TRT and s.xaddr.endswith("/onvif/media_service") for s in caps)
    profiles = media.parse_profiles(load("ipycam_virtualcam_GetProfiles.xml").body)
    assert [p.token for p in profiles] == ["Profile_Main", "Profile_Sub"]
    assert profiles[0].video_encoding == "H264" and profiles[0].ptz_node_token == "PTZ_Node_1"
    uri = media.parse_stream_uri(load("ipycam_virtualcam_GetStreamUri.xml").body)
    assert uri.uri.startswith("rtsp://127.0.0.1:8554/") and uri.timeout_s == 30.0
    snap = media.parse_snapshot_uri(load("ipycam_virtualcam_GetSnapshotUri.xml").body)
    assert snap.uri.endswith("/snapshot.jpg")


def test_ipycam_undeclared_prefix_replies_are_clear_remote_errors() -> None:
    for name in ("GetPresets", "GetStatus"):
        data = (FIXTURES / f"ipycam_virtualcam_{name}.xml").read_bytes()
        with pytest.raises(RemoteProtocolError, match="Namespace prefix") as info:
            parse_envelope(data)
        assert "not defined" in str(info.value)


def test_ipycam_unauthenticated_date_is_a_receiver_fault() -> None:
    env = load("ipycam_virtualcam_GetSystemDateAndTime_unauthenticated.xml")
    with pytest.raises(SoapFault, match="not authorized"):
        raise_for_fault(env)


def test_clock_an_hour_fast_is_read_as_utc() -> None:
    sdt = device.parse_system_date_and_time(load("quirk_clockhour_GetSystemDateAndTime.xml").body)
    assert sdt.utc == datetime(2026, 11, 21, 7, 12, 5, tzinfo=UTC)
    assert sdt.timezone == "CST-8" and sdt.daylight_savings and not sdt.ntp
    assert sdt.best == sdt.utc


def test_local_time_only_and_leap_second() -> None:
    sdt = device.parse_system_date_and_time(load("quirk_localonly_GetSystemDateAndTime.xml").body)
    assert sdt.utc is None and sdt.ntp
    assert sdt.best == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_intercom_services_with_capabilities() -> None:
    services = {
        s.namespace: s for s in device.parse_services(load("spec_intercom_GetServices.xml").body)
    }
    assert set(services) >= {TDS, TR2, TRT, TEV, TMD, TDC}
    assert services[TDS].capabilities["Security.HttpDigest"] == "true"
    assert services[TR2].capabilities["ProfileCapabilities.MaximumNumberOfProfiles"] == "4"
    assert services[TR2].capabilities["SnapshotUri"] == "true"
    assert services[TMD].capabilities["RelayOutputs"] == "2"
    assert services[TEV].capabilities["MaxPullPoints"] == "4"
    assert services[TDS].version == (21, 12)


def test_media2_profiles_with_backchannel() -> None:
    p1, p2 = media.parse_profiles(load("spec_intercom_GetProfiles_media2.xml").body)
    assert (p1.token, p1.video_encoding, p1.width, p1.height) == ("Profile_1", "H265", 1920, 1080)
    assert p1.frame_rate == 25.0 and p1.bitrate_kbps == 4096 and p1.audio_encoding == "PCMU"
    assert p1.has_backchannel and not p2.has_backchannel
    assert p2.frame_rate == 12.5
    uri = media.parse_stream_uri(load("spec_intercom_GetStreamUri_media2.xml").body)
    assert uri.uri.endswith("transportmode=unicast&profile=Profile_1")
    assert uri.timeout_s is None


def test_media1_profile_backchannel_and_minimal_profile() -> None:
    full, bare = media.parse_profiles(load("spec_camera_GetProfiles_backchannel.xml").body)
    assert full.has_backchannel and full.has_metadata and full.ptz_configuration_token == "ptzc"
    assert full.audio_output_token == "aoc" and full.audio_decoder_token == "adc"
    assert bare.name == "Bare" and bare.video_encoding is None and not bare.has_backchannel


def test_doors_access_points_relays_inputs() -> None:
    page = doorcontrol.parse_door_info_list(load("spec_intercom_GetDoorInfoList.xml").body)
    assert page.next_start_reference == "page-2"
    (door,) = page.items
    assert door.token == "Door_1" and door.capabilities["Access"] == "true"
    st = doorcontrol.parse_door_state(load("spec_intercom_GetDoorState.xml").body)
    assert st.open and st.forced and st.tamper == "NotInTamper" and st.mode == "Accessed"
    aps = doorcontrol.parse_access_point_info_list(
        load("spec_intercom_GetAccessPointInfoList.xml").body
    )
    assert aps.items[0].entity == "Door_1" and aps.next_start_reference is None
    relays = device.parse_relay_outputs(load("spec_intercom_GetRelayOutputs.xml").body)
    assert [(r.token, r.mode, r.delay_time_s, r.idle_state) for r in relays] == [
        ("RelayOutputToken_1", "Monostable", 5.0, "closed"),
        ("RelayOutputToken_2", "Bistable", 0.0, "open"),
    ]
    inputs = deviceio.parse_digital_inputs(load("spec_intercom_GetDigitalInputs.xml").body)
    assert [(i.token, i.idle_state) for i in inputs] == [
        ("DigitalInputToken_1", "open"),
        ("DigitalInputToken_2", None),
    ]


def test_network_interfaces() -> None:
    (ni,) = device.parse_network_interfaces(load("spec_camera_GetNetworkInterfaces.xml").body)
    assert ni.token == "eth0" and ni.mtu == 1500 and ni.ipv4_addresses == ("192.0.2.20/24",)
    assert not ni.ipv4_dhcp and ni.hw_address == "00:40:8c:12:34:56"


def test_event_properties_topic_set() -> None:
    props = events.parse_event_properties(load("spec_intercom_GetEventProperties.xml").body)
    topics = {t.topic: t for t in props.topics}
    assert set(topics) == {
        "tns1:Device/Trigger/DigitalInput",
        "tns1:Device/Trigger/Relay",
        "tns1:RuleEngine/CellMotionDetector/Motion",
        "tns1:Door/State/DoorAlarm",
        "vnd:Intercom/CallButton",
    }
    motion = topics["tns1:RuleEngine/CellMotionDetector/Motion"]
    assert motion.is_property and ("IsMotion", "xs:boolean") in motion.data_items
    assert len(motion.source_items) == 3
    assert props.fixed_topic_set and props.has_topic("tns1:Door/State/DoorAlarm")
    assert len(props.topic_expression_dialects) == 2


def test_gsoap_pull_point_with_unset_clock_and_empty_pull() -> None:
    sub = events.parse_create_pull_point_subscription(
        load("gsoap_camera_CreatePullPointSubscription.xml").body
    )
    assert sub.address == "http://192.168.68.111/onvif/services?SubscriptionId=3"
    assert sub.current_time == datetime(2000, 1, 2, 8, 13, 22, tzinfo=UTC)
    assert sub.termination_time is not None and sub.current_time is not None
    assert (sub.termination_time - sub.current_time).total_seconds() == 300
    pulled = events.parse_pull_messages(load("gsoap_camera_PullMessages_empty.xml").body)
    assert pulled.messages == () and pulled.termination_time is not None


def test_axis_style_pull_with_initialized_and_vendor_topic() -> None:
    pulled = events.parse_pull_messages(load("axisstyle_camera_PullMessages_initialized.xml").body)
    first, vendor, changed = pulled.messages
    assert first.topic == "tns1:Device/Trigger/DigitalInput"
    assert first.message.property_operation == "Initialized"
    assert first.message.source == (("InputToken", "1"),)
    assert first.producer is not None and first.producer.startswith("uri://")
    assert vendor.topic == "tnsaxis:CameraApplicationPlatform/VMD/Camera1Profile1"
    assert changed.message.utc_time == datetime(2026, 11, 21, 6, 10, 4, 500000, tzinfo=UTC)
    mapped = [map_event(DEFAULT_RULES, n) for n in pulled.messages]
    assert mapped[0] is None  # the Initialized state is not an event
    assert mapped[1] is None  # vendor topic: no default rule
    assert mapped[2] is not None and mapped[2].event_type == "input_active"
    assert mapped[2].attributes["source.InputToken"] == "1"


def test_redefined_prefixes_still_give_tns1_topics() -> None:
    pulled = events.parse_pull_messages(load("quirk_prefixes_PullMessages_motion.xml").body)
    motion, alarm = pulled.messages
    assert motion.topic == "tns1:RuleEngine/CellMotionDetector/Motion"
    assert motion.message.item("IsMotion") == "true"
    assert motion.message.item("Rule") == "MyMotionDetectorRule"
    assert alarm.topic == "tns1:VideoSource/MotionAlarm"  # undeclared prefix kept as written
    assert alarm.topic_namespace is None and alarm.message.utc_time is None
    assert pulled.current_time == datetime(2026, 11, 21, 7, 10, tzinfo=UTC)
    types = [m.event_type if (m := map_event(DEFAULT_RULES, n)) else None for n in pulled.messages]
    assert types == ["motion", "motion"]


def test_door_notify_maps_door_forced_and_leaves_credential_requests() -> None:
    env = load("spec_doorstation_Notify_door.xml")
    assert env.action == "http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify"
    notes = events.parse_notify(env.body)
    assert notes[0].subscription == "http://10.0.0.7/onvif/subscription?id=12"
    types = [m.event_type if (m := map_event(DEFAULT_RULES, n)) else None for n in notes]
    assert types == ["door_forced", None]
    vendor_button = EventRule("tns1:AccessControl/Request/Identifier", "button_press")
    mapped = map_event([vendor_button, *DEFAULT_RULES], notes[1])
    assert mapped is not None and mapped.attributes["data.IdentifierValue"] == "00A1B2"


def test_gsoap_faults_are_typed() -> None:
    with pytest.raises(NotAuthorizedFault) as na:
        raise_for_fault(load("gsoap_camera_Fault_NotAuthorized.xml"))
    assert na.value.http_status == 400
    with pytest.raises(NoSuchServiceFault) as nss:
        raise_for_fault(load("gsoap_camera_Fault_ActionNotSupported.xml"))
    assert nss.value.http_status == 500


def test_wrong_reply_element_is_a_remote_error() -> None:
    env = load("ipycam_virtualcam_GetScopes.xml")
    with pytest.raises(RemoteProtocolError, match="expected GetDeviceInformationResponse"):
        device.parse_device_information(env.body)
    with pytest.raises(RemoteProtocolError, match="empty Body"):
        ptz.parse_presets(None)


def test_audio_backchannel_replies() -> None:
    (dec,) = media.parse_audio_configurations(
        load("spec_camera_GetAudioDecoderConfigurations_media2.xml").body
    )
    assert (dec.token, dec.use_count) == ("AudioDecoderConfigToken", 2)
    (out,) = media.parse_audio_configurations(
        load("spec_camera_GetAudioOutputConfigurations.xml").body
    )
    assert out.output_token == "ao1" and out.name == "Speaker"
    assert media.parse_audio_outputs(load("spec_camera_GetAudioOutputs.xml").body) == ("ao1",)


def test_ptz_status_presets_and_set_preset() -> None:
    st = ptz.parse_status(load("spec_camera_GetStatus.xml").body)
    assert st.position == ptz.PTZVector(-0.25, 0.5, 0.1)
    assert st.pan_tilt_moving and st.zoom_moving is False
    assert st.utc_time == datetime(2026, 11, 21, 6, 40, tzinfo=UTC)
    presets = ptz.parse_presets(load("gsoap_camera_GetPresets.xml").body)
    assert [(p.token, p.name) for p in presets] == [("1", "Gate"), ("2", "Pump house"), ("3", "")]
    assert presets[0].position == ptz.PTZVector(0.1, -0.2, 0.3) and presets[1].position is None
    assert ptz.parse_set_preset(load("spec_camera_SetPreset.xml").body) == "7"


def test_subscribe_and_a_renew_counted_from_1970() -> None:
    sub = events.parse_subscribe(load("spec_intercom_Subscribe.xml").body)
    assert sub.address.endswith("Idx=4") and sub.reference_parameters == ()
    renewed = events.parse_renew(load("quirk_relativetime_Renew.xml").body)
    # The parser reports what the device said; spotting the nonsense is the caller's job,
    # and the difference still tells the granted lifetime.
    assert renewed.termination_time is not None and renewed.current_time is not None
    assert (renewed.termination_time - renewed.current_time).total_seconds() == 60
    assert renewed.termination_time.year == 1970
