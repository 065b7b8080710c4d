"""What one engine step produced, and the collector used while producing it."""

from __future__ import annotations

from dataclasses import dataclass, field

from callpoint.model import Action, AuditRecord, Event, Incident
from callpoint.store.base import Write


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine decided for one event, tick or operator command."""

    event: Event | None = None
    incident_id: str | None = None
    incidents: tuple[Incident, ...] = ()
    actions: tuple[Action, ...] = ()
    audit: tuple[AuditRecord, ...] = ()

    def as_write(self) -> Write:
        """The store write that makes this decision durable."""
        return Write(self.event, self.incident_id, self.incidents, self.actions, self.audit)

    @property
    def empty(self) -> bool:
        return self.event is None and not (self.incidents or self.actions or self.audit)


@dataclass(slots=True)
class Step:
    """Collects changes during one step; incidents keyed so the last value wins."""

    incidents: dict[str, Incident] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    audit: list[AuditRecord] = field(default_factory=list)
