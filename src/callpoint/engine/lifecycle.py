"""Incident lifecycle as a transition table; anything else raises IllegalTransitionError.

open ──► acknowledged ──► cleared ──► archived
  │  ▲        │              ▲
  ▼  │        ▼              │
 raised ◄─────┘ (a higher-priority event re-opens the need to acknowledge)
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from callpoint.model import Incident, IncidentState, TimelineEntry

S = IncidentState

# An incident keeps its latest entries; the event log keeps everything. Without a bound a
# stuck incident (a tamper nobody clears) would grow, and slow, with every event.
MAX_TIMELINE = 200


def _append(timeline: tuple[TimelineEntry, ...], entry: TimelineEntry) -> tuple[TimelineEntry, ...]:
    if len(timeline) < MAX_TIMELINE:
        return (*timeline, entry)
    first = timeline[0]
    dropped = 1
    if first.kind == "trimmed":
        dropped += int(first.text.split()[0])
    marker = TimelineEntry(first.at, "trimmed", f"{dropped} earlier entries are in the event log")
    return (marker, *timeline[2:], entry)


TRANSITIONS: dict[IncidentState, frozenset[IncidentState]] = {
    S.OPEN: frozenset({S.ACKNOWLEDGED, S.RAISED, S.CLEARED}),
    S.RAISED: frozenset({S.ACKNOWLEDGED, S.RAISED, S.CLEARED}),
    S.ACKNOWLEDGED: frozenset({S.RAISED, S.CLEARED}),
    S.CLEARED: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}


class IllegalTransitionError(Exception):
    """An incident was asked to move to a state its current state does not allow."""

    def __init__(self, incident: Incident, target: IncidentState) -> None:
        super().__init__(f"incident {incident.id} is {incident.state}, cannot become {target}")
        self.incident = incident
        self.target = target


def transition(
    incident: Incident,
    target: IncidentState,
    now: datetime,
    entry: TimelineEntry,
    **changes: object,
) -> Incident:
    """The incident in `target` state with `entry` appended; raises IllegalTransitionError."""
    if target not in TRANSITIONS[incident.state]:
        raise IllegalTransitionError(incident, target)
    return dataclasses.replace(
        incident,
        state=target,
        updated_at=now,
        timeline=_append(incident.timeline, entry),
        **changes,  # type: ignore[arg-type]  # field names checked by dataclasses.replace
    )


def annotate(
    incident: Incident, now: datetime, entry: TimelineEntry, **changes: object
) -> Incident:
    """Same state, one more timeline entry (and optional field changes)."""
    return dataclasses.replace(
        incident,
        updated_at=now,
        timeline=_append(incident.timeline, entry),
        **changes,  # type: ignore[arg-type]  # field names checked by dataclasses.replace
    )
