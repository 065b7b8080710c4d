"""Small constructors the engine uses for timeline entries and synthetic events."""

from __future__ import annotations

from datetime import datetime

from callpoint.model import Event, Incident, Source, TimelineEntry


def event_entry(now: datetime, kind: str, event: Event, suffix: str = "") -> TimelineEntry:
    """A timeline line for an event: "sos from EXPH-03"."""
    return TimelineEntry(now, kind, f"{event.type} from {event.device_id}{suffix}", event.id)


def placeholder_event(inc: Incident, now: datetime) -> Event:
    """An event standing for the incident itself, for actions planned by a timer."""
    return Event(
        id="",
        device_id=inc.device_id,
        location=inc.location,
        type=inc.trigger,
        device_time=now,
        received_at=now,
        source=Source.SUPERVISION,
        priority=inc.priority,
    )
