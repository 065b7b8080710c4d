"""The shared vocabulary: events in, incidents decided, actions out.

Every part of callpoint speaks in these types. They are frozen and slotted: an event, once
accepted, never changes; a new state of an incident or action is a new value.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at run time the payload module imports this one, not the reverse
    from callpoint.action_payloads import Payload

AttrValue = str | int | float | bool
Attributes = Mapping[str, AttrValue]

EMPTY_ATTRIBUTES: Attributes = MappingProxyType({})


# 64 random bits per process, then a counter: unique across processes and restarts without
# a system call per id (uuid4 reads os.urandom each time, several times per event).
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count(int.from_bytes(os.urandom(4), "big"))


def new_id() -> str:
    """A fresh identifier: 32 hex digits, unique across processes and restarts."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def utc_now() -> datetime:
    """The wall clock in UTC. Code that decides takes time as an argument instead."""
    return datetime.now(UTC)


class EventType(StrEnum):
    """What happened at a device (DESIGN.md vocabulary)."""

    OFF_HOOK = "off_hook"
    CALL_CONNECTED = "call_connected"
    CALL_ENDED = "call_ended"
    SOS = "sos"
    SOS_CLEARED = "sos_cleared"
    TAMPER = "tamper"
    FAULT = "fault"
    FAULT_CLEARED = "fault_cleared"
    BUTTON_PRESS = "button_press"
    DOOR_OPEN = "door_open"
    DOOR_FORCED = "door_forced"
    INPUT_ACTIVE = "input_active"
    INPUT_INACTIVE = "input_inactive"
    MOTION = "motion"
    TEST = "test"


class Source(StrEnum):
    """Which ingress adapter turned the outside world into this event."""

    WEBHOOK = "webhook"
    ONVIF = "onvif"
    SIP = "sip"
    IO = "io"
    MQTT = "mqtt"
    SUPERVISION = "supervision"
    DRILL = "drill"
    CONSOLE = "console"


class Priority(IntEnum):
    """Named tiers; rules may use any integer 0-100, higher is more urgent."""

    INFO = 0
    ROUTINE = 10
    ELEVATED = 50
    EMERGENCY = 90


@dataclass(frozen=True, slots=True)
class Event:
    """One state change reported by a device, normalised.

    `device_time` is the device's own stamp (may drift); `received_at` is ours.
    `suppressed` marks a duplicate inside the suppression window: stored, not acted on.
    """

    id: str
    device_id: str
    location: str
    type: EventType
    device_time: datetime
    received_at: datetime
    source: Source
    priority: int = Priority.ROUTINE
    attributes: Attributes = field(default_factory=lambda: EMPTY_ATTRIBUTES)
    suppressed: bool = False


class IncidentState(StrEnum):
    """Lifecycle of an incident; transitions live in engine/lifecycle.py."""

    OPEN = "open"
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"
    ARCHIVED = "archived"


ACTIVE_INCIDENT_STATES = frozenset(
    {IncidentState.OPEN, IncidentState.RAISED, IncidentState.ACKNOWLEDGED}
)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of an incident's history, for the operator and the audit."""

    at: datetime
    kind: str
    text: str
    event_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """What an operator sees and acknowledges, one per location while active."""

    id: str
    location: str
    device_id: str
    trigger: EventType
    priority: int
    state: IncidentState
    opened_at: datetime
    updated_at: datetime
    consoles: tuple[str, ...] = ()
    escalation_level: int = 0
    live: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    cleared_at: datetime | None = None
    timeline: tuple[TimelineEntry, ...] = ()

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_INCIDENT_STATES


class ActionKind(StrEnum):
    """What an executor can be asked to do (DESIGN.md vocabulary)."""

    PRESET = "preset"
    HOME = "home"
    RECORD = "record"
    SHOW = "show"
    POPUP = "popup"
    RELAY = "relay"
    DOOR = "door"
    HTTP = "http"
    VMS_EVENT = "vms_event"
    BEACON = "beacon"
    PUBLISH = "publish"
    ESCALATE = "escalate"


class ActionState(StrEnum):
    """Outbox state of an action. `planned` waits for its executor or its due time."""

    PLANNED = "planned"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do, written to the outbox before it is attempted.

    `payload` says what to do (action_payloads.py); its type decides the action's kind.
    `target` names what is acted on: a camera id, a console name, a device id, a URL.
    `due_at` delays it (return-to-home after a timeout); None means now.
    """

    id: str
    payload: Payload
    target: str
    event_id: str
    incident_id: str | None
    priority: int
    created_at: datetime
    due_at: datetime | None = None
    state: ActionState = ActionState.PLANNED
    attempts: int = 0
    last_error: str | None = None
    finished_at: datetime | None = None

    @property
    def kind(self) -> ActionKind:
        """What this action does: its payload's kind (a class constant, no lookup)."""
        return self.payload.kind


def action_moved(
    a: Action,
    state: ActionState,
    attempts: int,
    last_error: str | None,
    finished_at: datetime | None,
    due_at: datetime | None,
) -> Action:
    """`a` in a new outbox state. Built field by field: dataclasses.replace costs about
    five times as much, and this runs for every action an event plans."""
    return Action(
        a.id,
        a.payload,
        a.target,
        a.event_id,
        a.incident_id,
        a.priority,
        a.created_at,
        due_at,
        state,
        attempts,
        last_error,
        finished_at,
    )


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What an executor reports after one attempt."""

    ok: bool
    detail: str = ""
    retry: bool = False


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what, when: acknowledgements, notes, door releases, config reloads."""

    id: str
    at: datetime
    actor: str
    action: str
    subject: str
    detail: Attributes = field(default_factory=dict)
