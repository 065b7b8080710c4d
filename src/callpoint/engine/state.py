"""What the engine remembers between events: incidents, who holds which camera and screen."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from callpoint.engine.timers import TimerQueue
from callpoint.model import EventType, Incident

MAX_DEDUP_KEYS = 100_000  # device x event type pairs remembered for duplicate suppression


@dataclass(slots=True)
class Hold:
    """An incident's claim on a camera or a console screen. It is ranked by the incident's
    priority at the moment of asking (`holder_outranks`), so a raise counts at once."""

    incident_id: str


@dataclass(slots=True)
class IncidentExtras:
    """Per-incident bookkeeping that operators do not see."""

    ack_timeout_s: float | None = None
    escalation_generation: int = 0
    home_after: dict[str, float] = field(default_factory=dict)  # camera -> seconds
    post_roll: dict[str, float] = field(default_factory=dict)  # camera -> seconds
    device_ids: set[str] = field(default_factory=set)


@dataclass(slots=True)
class EngineState:
    """Mutable engine memory. Only the engine changes it, one event or tick at a time."""

    incidents: dict[str, Incident] = field(default_factory=dict)
    extras: dict[str, IncidentExtras] = field(default_factory=dict)
    by_location: dict[str, str] = field(default_factory=dict)
    camera_holds: dict[str, Hold] = field(default_factory=dict)
    recordings: dict[str, Hold] = field(default_factory=dict)
    screens: dict[str, Hold] = field(default_factory=dict)
    offline: set[str] = field(default_factory=set)
    timers: TimerQueue = field(default_factory=TimerQueue)
    last_accepted: OrderedDict[tuple[str, EventType], datetime] = field(default_factory=OrderedDict)

    def holder_outranks(self, hold: Hold | None, incident_id: str, priority: int) -> bool:
        """True when `hold` belongs to another active incident of strictly higher priority."""
        if hold is None or hold.incident_id == incident_id:
            return False
        other = self.incidents.get(hold.incident_id)
        return other is not None and other.active and other.priority > priority

    def remember(self, key: tuple[str, EventType], at: datetime, window_s: float) -> None:
        """Note an accepted event for duplicate suppression, keeping the table bounded."""
        self.last_accepted[key] = at
        self.last_accepted.move_to_end(key)
        while len(self.last_accepted) > MAX_DEDUP_KEYS:
            self.last_accepted.popitem(last=False)
