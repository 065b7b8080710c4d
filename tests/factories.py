"""Small builders of model values for tests (not fixtures of real traffic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callpoint.model import (
    Action,
    ActionKind,
    Event,
    EventType,
    Incident,
    IncidentState,
    Source,
    TimelineEntry,
    new_id,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def event(n: int = 0, **kw: object) -> Event:
    values: dict[str, object] = {
        "id": new_id(),
        "device_id": "EXPH-03",
        "location": "TANKFARM-EAST-POST-03",
        "type": EventType.OFF_HOOK,
        "device_time": T0 + timedelta(seconds=n) - timedelta(milliseconds=250),
        "received_at": T0 + timedelta(seconds=n),
        "source": Source.WEBHOOK,
        "priority": 10,
        "attributes": {"extension": "2003", "n": n},
    }
    values.update(kw)
    # arg-type: the overrides are `object`s; the dataclass gets what a test passes.
    return Event(**values)  # type: ignore[arg-type]


def incident(**kw: object) -> Incident:
    values: dict[str, object] = {
        "id": new_id(),
        "location": "TANKFARM-EAST-POST-03",
        "device_id": "EXPH-03",
        "trigger": EventType.SOS,
        "priority": 90,
        "state": IncidentState.RAISED,
        "opened_at": T0,
        "updated_at": T0 + timedelta(seconds=1),
        "consoles": ("dispatch", "supervisor"),
        "escalation_level": 1,
        "timeline": (
            TimelineEntry(at=T0, kind="opened", text="SOS at post 03", event_id="e1"),
            TimelineEntry(at=T0 + timedelta(seconds=1), kind="note", text='a "quote"', actor="op"),
        ),
    }
    values.update(kw)
    # arg-type: the overrides are `object`s; the dataclass gets what a test passes.
    return Incident(**values)  # type: ignore[arg-type]


def action(**kw: object) -> Action:
    values: dict[str, object] = {
        "id": new_id(),
        "kind": ActionKind.PRESET,
        "target": "TANKFARM-EAST-PTZ-01",
        "event_id": "e1",
        "incident_id": None,
        "priority": 90,
        "created_at": T0,
        "params": {"preset": 7, "name": "Gate"},
    }
    values.update(kw)
    # arg-type: the overrides are `object`s; the dataclass gets what a test passes.
    return Action(**values)  # type: ignore[arg-type]
