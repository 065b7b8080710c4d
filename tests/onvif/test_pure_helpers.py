"""Pure helpers: value parsing, scopes, event rules, builders' argument checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from callpoint.onvif import device, doorcontrol, events, media, ptz
from callpoint.onvif.errors import LocalProtocolError, RemoteProtocolError
from callpoint.onvif.eventmap import DEFAULT_RULES, EventRule, map_event, rule_matches
from callpoint.onvif.notification import EventMessage, NotificationMessage
from callpoint.onvif.scopes import (
    declared_profiles,
    scope_hardware,
    scope_locations,
    scope_name,
)
from callpoint.onvif.xmlutil import (
    datetime_text,
    duration,
    to_bool,
    to_datetime,
    to_float,
    to_int,
    to_seconds,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT60S", 60),
        ("PT1M30S", 90),
        ("PT0.5S", 0.5),
        ("P1DT1H", 90000),
        ("-PT5S", -5),
        ("PT0S", 0),
        ("P1Y", 365 * 86400),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert to_seconds(text) == seconds


@pytest.mark.parametrize("bad", ["P", "PT", "60", "PTS", "P1H", "PT1.S"])
def test_bad_durations(bad: str) -> None:
    with pytest.raises(RemoteProtocolError):
        to_seconds(bad)


def test_duration_text_round_trip() -> None:
    for s in (0, 1, 59.5, 3600, 0.125):
        assert to_seconds(duration(s)) == s
    with pytest.raises(LocalProtocolError):
        duration(-1)


def test_datetimes() -> None:
    assert to_datetime("2026-11-21T06:00:00Z") == datetime(2026, 11, 21, 6, tzinfo=UTC)
    assert to_datetime("2026-11-21T06:00:00.123456789Z") == datetime(
        2026, 11, 21, 6, 0, 0, 123456, tzinfo=UTC
    )
    plus2 = to_datetime("2026-11-21T08:00:00+02:00")
    assert plus2 == datetime(2026, 11, 21, 6, tzinfo=UTC)
    assert to_datetime("2026-11-21T06:00:00") == datetime(2026, 11, 21, 6, tzinfo=UTC)
    assert to_datetime(None) is None and to_datetime(" ") is None
    with pytest.raises(RemoteProtocolError):
        to_datetime("yesterday")
    local = datetime(2026, 11, 21, 8, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2)))
    assert datetime_text(local) == "2026-11-21T06:00:00.500Z"
    with pytest.raises(LocalProtocolError):
        datetime_text(datetime(2026, 1, 1))  # naive on purpose


def test_scalars() -> None:
    assert to_bool("true") and to_bool("1") and not to_bool("false") and not to_bool("0")
    assert to_bool(None, True)
    with pytest.raises(RemoteProtocolError):
        to_bool("yes")
    with pytest.raises(RemoteProtocolError):
        to_bool(None)
    assert to_int(" 42 ") == 42 and to_int("") is None
    assert to_float("2.5") == 2.5
    with pytest.raises(RemoteProtocolError):
        to_int("4x")
    with pytest.raises(RemoteProtocolError):
        to_float("nan?")


def test_scopes() -> None:
    scopes = [
        "onvif://www.onvif.org/Profile/Streaming",
        "onvif://www.onvif.org/Profile/T",
        "ONVIF://www.onvif.org/profile/C/",
        "onvif://www.onvif.org/Profile/Unknown",
        "onvif://www.onvif.org/name/Gate%20Intercom",
        "onvif://www.onvif.org/hardware/IPV-1",
        "onvif://www.onvif.org/location/TANKFARM-EAST",
        "onvif://www.onvif.org/location/country/de",
        "http://vendor/other",
    ]
    assert declared_profiles(scopes) == {"S", "T", "C"}
    assert scope_name(scopes) == "Gate Intercom"
    assert scope_hardware(scopes) == "IPV-1"
    assert scope_locations(scopes) == ("TANKFARM-EAST", "country/de")
    assert scope_name([]) is None


def note(topic: str, op: str | None = "Changed", **data: str) -> NotificationMessage:
    return NotificationMessage(
        topic, EventMessage(None, op, source=(("InputToken", "2"),), data=tuple(data.items()))
    )


def test_rules_topic_globs_values_and_sources() -> None:
    any_io = EventRule("tns1:Device/**", "io")
    one_level = EventRule("tns1:Device/*/DigitalInput", "di")
    assert rule_matches(any_io, note("tns1:Device/Trigger/DigitalInput"))
    assert rule_matches(one_level, note("tns1:Device/Trigger/DigitalInput"))
    assert not rule_matches(one_level, note("tns1:Device/A/B/DigitalInput"))
    assert not rule_matches(any_io, note("tns1:Devices/X"))
    src = EventRule(
        "tns1:Device/Trigger/DigitalInput",
        "sos",
        "LogicalState",
        "true",
        source={"InputToken": "2"},
    )
    assert rule_matches(src, note("tns1:Device/Trigger/DigitalInput", LogicalState="1"))
    other = EventRule(
        "tns1:Device/Trigger/DigitalInput",
        "sos",
        "LogicalState",
        "true",
        source={"InputToken": "3"},
    )
    assert not rule_matches(other, note("tns1:Device/Trigger/DigitalInput", LogicalState="1"))
    assert not rule_matches(src, note("tns1:Device/Trigger/DigitalInput", LogicalState="off"))
    init = note("tns1:Device/Trigger/DigitalInput", "Initialized", LogicalState="true")
    assert not rule_matches(src, init)
    keep_init = EventRule("tns1:Device/Trigger/DigitalInput", "x", skip_initialized=False)
    assert rule_matches(keep_init, init)


def test_first_matching_rule_wins_and_attributes_are_flat() -> None:
    rules = [
        EventRule("tns1:Device/Trigger/DigitalInput", "sos", "LogicalState", "true"),
        *DEFAULT_RULES,
    ]
    mapped = map_event(rules, note("tns1:Device/Trigger/DigitalInput", LogicalState="true"))
    assert mapped is not None and mapped.event_type == "sos"
    assert dict(mapped.attributes) == {
        "topic": "tns1:Device/Trigger/DigitalInput",
        "property_operation": "Changed",
        "source.InputToken": "2",
        "data.LogicalState": "true",
    }
    off = map_event(DEFAULT_RULES, note("tns1:Device/Trigger/DigitalInput", LogicalState="false"))
    assert off is not None and off.event_type == "input_inactive"
    assert map_event(DEFAULT_RULES, note("tns1:Unknown/Topic")) is None


@pytest.mark.parametrize(
    "build",
    [
        lambda: device.set_relay_output_state("", True),
        lambda: device.set_relay_output_settings("r", "Pulse", 1, "closed"),
        lambda: media.get_stream_uri(""),
        lambda: ptz.goto_preset("p", ""),
        lambda: ptz.get_presets(""),
        lambda: doorcontrol.get_door_state(""),
        lambda: doorcontrol.get_door_info_list(0),
        lambda: events.pull_messages(1, 0),
        lambda: events.pull_messages(1, 100000),
        lambda: events.renew(0),
        lambda: events.subscribe("ftp://x"),
    ],
)
def test_builders_refuse_misuse(build: object) -> None:
    with pytest.raises(LocalProtocolError):
        build()  # type: ignore[operator]  # parametrised callables


def test_termination_times_relative_and_absolute() -> None:
    rel = events.renew(90).body
    assert rel[0].text == "PT90S"
    when = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    assert events.renew(when).body[0].text == "2026-11-21T07:00:00Z"


def test_device_termination_time_uses_the_device_clock() -> None:
    from callpoint.onvif.client import OnvifDevice
    from callpoint.onvif.transport import SoapHttp

    dev = OnvifDevice("192.0.2.1", "u", "p", http=SoapHttp())
    dev.session.clock_offset_s = 3600.0
    assert dev.termination_time(60) == 60
    absolute = dev.termination_time(60, absolute=True)
    assert isinstance(absolute, datetime)
    expected = datetime.now(UTC) + timedelta(seconds=3660)
    assert abs((absolute - expected).total_seconds()) < 2


def test_media2_is_used_only_when_offered_and_preferred() -> None:
    from callpoint.onvif.client import OnvifDevice
    from callpoint.onvif.device import Service
    from callpoint.onvif.namespaces import TR2, TRT
    from callpoint.onvif.transport import SoapHttp

    http = SoapHttp()
    dev = OnvifDevice("192.0.2.1", http=http)
    assert not dev.media2
    dev._services = {TR2: Service(TR2, "http://10.0.0.9/m2"), TRT: Service(TRT, "http://x/m")}
    assert dev.media2
    assert dev.xaddr(TR2) == "http://192.0.2.1/m2"  # rebased onto the address we use
    assert OnvifDevice("192.0.2.1", http=http, rewrite_xaddrs=False).xaddr(TDS_NS) == (
        "http://192.0.2.1/onvif/device_service"
    )
    dev.prefer_media2 = False
    assert not dev.media2
    with pytest.raises(LocalProtocolError, match="no service"):
        dev.xaddr("urn:none")


TDS_NS = "http://www.onvif.org/ver10/device/wsdl"
