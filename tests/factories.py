"""Small builders of model values for tests (not fixtures of real traffic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from callpoint.action_payloads import (
    BeaconPayload,
    DoorPayload,
    EscalatePayload,
    HomePayload,
    HttpPayload,
    Payload,
    PopupPayload,
    PresetPayload,
    PublishPayload,
    RecordPayload,
    RelayPayload,
    ShowPayload,
    VmsEventPayload,
)
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


PAYLOADS: dict[ActionKind, Payload] = {
    ActionKind.PRESET: PresetPayload("7", "Gate", "TANKFARM-EAST-POST-03", 45.0),
    ActionKind.HOME: HomePayload("TANKFARM-EAST-POST-03", "1"),
    ActionKind.RECORD: RecordPayload(
        "start", 5.0, 45.0, 30.0, True, "SOS at TANKFARM-EAST-POST-03", "TANKFARM-EAST-POST-03"
    ),
    ActionKind.SHOW: ShowPayload(
        ("TANKFARM-EAST-PTZ-01", "TANKFARM-EAST-FIX-02"), "TANKFARM-EAST-POST-03", "wall-2x2"
    ),
    ActionKind.POPUP: PopupPayload(
        "inc-1",
        "TANKFARM-EAST-POST-03",
        "EXPH-03",
        EventType.SOS,
        ("TANKFARM-EAST-PTZ-01", "TANKFARM-EAST-FIX-02"),
        "emergency-2x2",
        2,
    ),
    ActionKind.RELAY: RelayPayload("door-relay", "on", 3.0),
    ActionKind.DOOR: DoorPayload("1", "pulse", 5.0, by="op1"),
    ActionKind.HTTP: HttpPayload(
        "PUT", 2.5, '{"door": "${target}"}', None, (("X-Site", "tankfarm"),), "200,204"
    ),
    ActionKind.VMS_EVENT: VmsEventPayload("SOS", "TANKFARM-EAST-POST-03", "EXPH-03", EventType.SOS),
    ActionKind.BEACON: BeaconPayload("coil-2", "off", 3.0),
    ActionKind.PUBLISH: PublishPayload("TANKFARM-EAST-POST-03", "EXPH-03", EventType.OFF_HOOK),
    ActionKind.ESCALATE: EscalatePayload(1, "inc-1"),
}
"""One realistic payload of every kind, every field away from its default where it can be."""


def action(kind: ActionKind = ActionKind.PRESET, **kw: object) -> Action:
    """An action of `kind` with its sample payload, unless `payload` is given."""
    values: dict[str, object] = {
        "id": new_id(),
        "payload": PAYLOADS[kind],
        "target": "TANKFARM-EAST-PTZ-01",
        "event_id": "e1",
        "incident_id": None,
        "priority": 90,
        "created_at": T0,
    }
    values.update(kw)
    # arg-type: the overrides are `object`s; the dataclass gets what a test passes.
    return Action(**values)  # type: ignore[arg-type]


P = TypeVar("P")


def payload(a: Action, cls: type[P]) -> P:
    """`a`'s payload, checked to be a `cls` (narrows the payload union for mypy)."""
    assert isinstance(a.payload, cls), a.payload
    return a.payload
