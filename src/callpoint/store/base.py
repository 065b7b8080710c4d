"""The `Store` interface every backend implements.

The engine's decisions are written as one `Write`: the event, the incidents it changed and
the actions it planned, in one transaction. Ingress acknowledges only after `write` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from callpoint.model import (
    Action,
    ActionKind,
    ActionState,
    AuditRecord,
    Event,
    EventType,
    Incident,
)


class StoreError(Exception):
    """The store could not do what was asked (disk full, schema too new, closed...)."""


class StoreUnavailableError(Exception):
    """A decision could not be made durable; nothing was acknowledged (the runtime raises
    it for a failed write; an ingress answers it as "try again", a webhook with 503)."""


class DuplicateEventError(StoreError):
    """An event with this id is already stored; nothing of the `Write` was applied.

    Ingress answers a re-delivery with the original id (`event_id`) instead of an error.
    """

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} is already stored")
        self.event_id = event_id


@dataclass(frozen=True, slots=True)
class Write:
    """Everything one engine step produced, committed atomically.

    `incident_id` links `event` to the incident it opened or joined (None if none).
    Incidents are upserts (the whole new value); actions are inserts.
    """

    event: Event | None = None
    incident_id: str | None = None
    incidents: Sequence[Incident] = ()
    actions: Sequence[Action] = ()
    audit: Sequence[AuditRecord] = ()


@dataclass(frozen=True, slots=True)
class ActionUpdate:
    """A new outbox state for one action, after an attempt."""

    action_id: str
    state: ActionState
    attempts: int
    last_error: str | None = None
    finished_at: datetime | None = None
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Filters for the event log; all optional, combined with AND."""

    device_id: str | None = None
    location: str | None = None
    types: frozenset[EventType] = field(default_factory=frozenset)
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    limit: int = 100
    before_seq: int | None = None


class Store(Protocol):
    """Durable event log, incidents, outbox and audit trail."""

    async def open(self) -> None:
        """Create or migrate the schema; must be called once before anything else."""

    async def close(self) -> None:
        """Flush pending writes and release the database."""

    def problem(self) -> str | None:
        """None while the store takes writes; otherwise why not, for `/healthz`."""

    async def write(self, write: Write) -> None:
        """Commit one engine step; durable when this returns."""

    async def event_exists(self, event_id: str) -> bool:
        """Whether an event with this id is already stored (idempotent re-delivery)."""

    async def events(self, query: EventQuery) -> list[Event]:
        """Events matching `query`, newest first."""

    async def events_with_seq(self, query: EventQuery) -> list[tuple[int, Event]]:
        """Like `events`, with each event's seq: the cursor for `before_seq` paging."""

    async def events_for_incident(self, incident_id: str) -> list[Event]:
        """Events linked to an incident, oldest first."""

    async def incident(self, incident_id: str) -> Incident | None:
        """One incident by id, or None if there is no such incident."""

    async def incidents(self, *, active_only: bool = False, limit: int = 100) -> list[Incident]:
        """Incidents, newest first."""

    async def actions_for_incident(self, incident_id: str) -> list[Action]:
        """Actions planned for an incident, oldest first."""

    async def actions(
        self, *, states: frozenset[ActionState] = frozenset(), limit: int = 100
    ) -> list[Action]:
        """Actions in the given states (all if empty), newest first."""

    async def claim_due_actions(
        self, now: datetime, kinds: frozenset[ActionKind], limit: int
    ) -> list[Action]:
        """Planned actions of these kinds due by `now`, marked running atomically."""

    async def event_incident(self, event_id: str) -> str | None:
        """The incident a stored event opened or joined (None if none, or no such event)."""

    async def update_action(self, update: ActionUpdate) -> None:
        """Record an attempt's outcome."""

    async def update_actions(self, updates: Sequence[ActionUpdate]) -> list[StoreError | None]:
        """Record many outcomes at once; each its own error (None: recorded)."""

    async def requeue_running(self) -> int:
        """At start-up: actions left running by a crash go back to planned. Returns count."""

    async def audit(self, *, limit: int = 100) -> list[AuditRecord]:
        """Audit records, newest first."""
