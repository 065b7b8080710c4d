"""The one normaliser: a `RawEvent` from any adapter becomes an `Event` of this site.

Location and priority come from the site alone, never from the protocol:
- location: the device's configured location; a camera's is the first location that
  lists it (its own id if none does). A differing location the device reported is kept
  as the attribute `reported_location` (the tag is the mapping key, not the report).
- priority: the highest priority any rule gives the event type (routine if none), the
  tier syslog severity and the console's ordering read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from callpoint.config.site import Site
from callpoint.ingress.contract import RawEvent
from callpoint.model import Event, EventType, Priority, new_id


class UnknownReferenceError(Exception):
    """Names a device or event type this site does not know (a webhook answers 422)."""


def event_priority(site: Site, event_type: EventType) -> int:
    """The highest priority any rule gives this type (routine if none)."""
    return max((r.priority for r in site.rules_for(event_type)), default=int(Priority.ROUTINE))


def source_locations(site: Site) -> dict[str, str]:
    """Every id events may come from (devices, then cameras) and its location tag."""
    found: dict[str, str] = {}
    for loc in site.config.locations:
        for cam in loc.cameras:
            found.setdefault(cam, loc.tag)
    for cam_id in site.cameras:
        found.setdefault(cam_id, cam_id)
    for dev in site.config.devices:
        found[dev.id] = dev.location  # a device id shadows a camera of the same name
    return found


class Normaliser:
    """Indexes of one site for `normalise`; build one per loaded config."""

    __slots__ = ("locations", "priorities")

    def __init__(self, site: Site) -> None:
        self.locations: Mapping[str, str] = MappingProxyType(source_locations(site))
        self.priorities: Mapping[EventType, int] = MappingProxyType(
            {t: event_priority(site, t) for t in EventType}
        )

    def normalise(self, raw: RawEvent, received_at: datetime) -> Event:
        """The event `raw` is at this site; raises UnknownReferenceError."""
        location = self.locations.get(raw.device_id)
        if location is None:
            raise UnknownReferenceError(f"unknown device '{raw.device_id}'")
        event_type = raw.type
        if not isinstance(event_type, EventType):
            try:
                event_type = EventType(event_type)
            except ValueError as exc:
                raise UnknownReferenceError(f"unknown event type '{raw.type}'") from exc
        attributes = raw.attributes
        reported = raw.reported_location
        if reported is not None and reported != location:
            attributes = {**attributes, "reported_location": reported}
        return Event(
            id=raw.event_id or new_id(),
            device_id=raw.device_id,
            location=location,
            type=event_type,
            device_time=raw.device_time or received_at,
            received_at=received_at,
            source=raw.source,
            priority=self.priorities[event_type],
            attributes=attributes,
        )
