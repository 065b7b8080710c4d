"""The messages callpoint sends: device time and server time, escaping, severities."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

from callpoint.codecs.syslog import Facility, Severity, encode
from callpoint.codecs.syslog_parser import parse
from callpoint.model import ActionKind, ActionOutcome, ActionState, EventType, IncidentState
from callpoint.syslog.records import (
    Origin,
    action_message,
    event_message,
    incident_message,
)
from tests import factories as f

ORIGIN = Origin(hostname="cp-1", procid="42", facility=Facility.LOCAL3)


def _params(data: bytes, sd_id: str = "callpoint@32473") -> dict[str, str]:
    (el,) = [e for e in parse(data).structured_data if e.id == sd_id]
    return dict(el.params)


def test_event_carries_device_time_with_its_offset_and_server_time() -> None:
    plus2 = timezone(timedelta(hours=2))
    ev = f.event(
        type=EventType.SOS,
        priority=90,
        device_id='EXPH-"03]',
        device_time=f.T0.astimezone(plus2) - timedelta(seconds=3),
        attributes={"call state": "dialing", "ext": 2003},
    )
    data = encode(event_message(ev, ORIGIN))
    assert data.startswith(b"<154>1 2026-03-01T12:00:00.123456Z cp-1 callpoint 42 EVENT [")
    p = _params(data)
    assert p["deviceTime"] == "2026-03-01T13:59:57.123456+02:00"
    assert p["serverTime"] == "2026-03-01T12:00:00.123456Z"
    assert (p["device"], p["type"], p["location"]) == ('EXPH-"03]', "sos", ev.location)
    assert b'device="EXPH-\\"03\\]"' in data
    assert _params(data, "callpointAttr@32473") == {"call_state": "dialing", "ext": "2003"}
    m = parse(data)
    assert (m.severity, m.msg) == (Severity.CRITICAL, f'sos at {ev.location} from EXPH-"03]')


def test_fault_is_at_least_a_warning_and_suppressed_is_said() -> None:
    ev = f.event(type=EventType.FAULT, priority=0, suppressed=True, attributes={})
    m = parse(encode(event_message(ev, ORIGIN)))
    assert m.severity is Severity.WARNING
    assert m.msg is not None and m.msg.endswith("(duplicate, suppressed)")
    assert len(m.structured_data) == 1


def test_incident_change_message() -> None:
    inc = f.incident(state=IncidentState.ACKNOWLEDGED, acknowledged_by="op1")
    at = f.T0 + timedelta(seconds=9)
    data = encode(
        incident_message(
            inc, ORIGIN, server_time=at, change="acknowledged by op1", device_time=f.T0
        )
    )
    p = _params(data)
    assert (p["state"], p["ackBy"], p["consoles"]) == ("acknowledged", "op1", "dispatch,supervisor")
    assert (p["serverTime"], p["deviceTime"]) == (
        "2026-03-01T12:00:09.123456Z",
        "2026-03-01T12:00:00.123456Z",
    )
    assert parse(data).msgid == "INCIDENT"
    cleared = incident_message(replace(inc, state=IncidentState.CLEARED), ORIGIN, server_time=at)
    assert cleared.severity is Severity.NOTICE


def test_action_outcome_messages_by_state() -> None:
    act = f.action(kind=ActionKind.HTTP, incident_id="inc1", attempts=2)
    at = f.T0 + timedelta(seconds=1)
    retry = replace(act, state=ActionState.PLANNED, due_at=at + timedelta(seconds=4))
    m = action_message(retry, ActionOutcome(False, "HTTP 503", True), ORIGIN, server_time=at)
    p = _params(encode(m))
    assert (m.severity, p["state"], p["ok"], p["attempts"]) == (
        Severity.WARNING,
        "planned",
        "false",
        "2",
    )
    assert p["retryAt"] == "2026-03-01T12:00:05.123456Z"
    failed = replace(act, state=ActionState.FAILED)
    assert action_message(failed, ActionOutcome(False, "x"), ORIGIN, server_time=at).severity is (
        Severity.ERROR
    )
    done = action_message(
        replace(act, state=ActionState.DONE), ActionOutcome(True, "200"), ORIGIN, server_time=at
    )
    assert done.severity is Severity.INFORMATIONAL
    assert done.msg == "http TANKFARM-EAST-PTZ-01 done: 200"


def test_lone_surrogate_in_attributes_does_not_break_encoding() -> None:
    ev = f.event(attributes={"raw": "bad\ud800"})
    data = encode(event_message(ev, ORIGIN))
    assert _params(data, "callpointAttr@32473")["raw"] == "bad?"


def test_runaway_attributes_are_cut_to_fit_a_udp_datagram() -> None:
    from callpoint.syslog.sender import MAX_UDP_OCTETS

    ev = f.event(attributes={f"k{n:02d}": "v" * 500 for n in range(60)})
    data = encode(event_message(ev, ORIGIN))
    assert len(data) <= MAX_UDP_OCTETS
    attrs = _params(data, "callpointAttr@32473")
    assert 1 <= len(attrs) <= 32
    assert all(len(v) == 200 for v in attrs.values())
    assert "serverTime" in _params(data)
