"""The contract every ingress adapter keeps: raw facts in, one normaliser, one submit path.

An adapter translates its protocol into `RawEvent`s: which device, what happened, when the
device says it happened, what else it reported. It never decides location or priority:
`EventSink.normalise` does that from the site, the same way for every source. The event is
then handed to `EventSink.submit_event`, the runtime's one path to a durable decision.

Adding an adapter is one module with a factory `(IngressContext) -> Ingress`, and one line
in `callpoint.server.INGRESSES` (docs/architecture.md shows it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from callpoint.component import Component
from callpoint.model import EMPTY_ATTRIBUTES, Attributes, Event, EventType, Source

if TYPE_CHECKING:
    from aiohttp import web

    from callpoint.clock import Clock
    from callpoint.config.site import Site
    from callpoint.engine import Decision
    from callpoint.store.base import Store


@dataclass(frozen=True, slots=True)
class RawEvent:
    """What an adapter learned, before the site gives it a location and a priority.

    `type` may be a name the adapter read off the wire (the normaliser refuses one that is
    not an `EventType`). `device_time` is the device's own stamp, None if it sent none.
    `event_id` is a stable id when the protocol has one (a re-delivery keeps it), else
    None for a fresh one. `reported_location` is a location the device claimed, kept as an
    attribute when it differs from the configured one.
    """

    device_id: str
    type: EventType | str
    source: Source
    device_time: datetime | None = None
    attributes: Attributes = field(default_factory=lambda: EMPTY_ATTRIBUTES)
    event_id: str | None = None
    reported_location: str | None = None


class EventSink(Protocol):
    """What an adapter may ask of the runtime (`callpoint.runtime.Runtime` is one)."""

    @property
    def site(self) -> Site:
        """The site in force now (it changes on reload)."""

    def now(self) -> datetime:
        """The server's clock: what `received_at` is stamped with."""

    def normalise(self, raw: RawEvent, received_at: datetime) -> Event:
        """The event `raw` is at this site; raises UnknownReferenceError."""

    async def submit_event(self, event: Event) -> Decision:
        """Decide and persist one event; raises StoreUnavailableError (nothing durable)
        or DuplicateEventError (an event with this id is stored)."""


class Ingress(Component, Protocol):
    """An ingress adapter: a `Component` that may also serve HTTP routes.

    Routes are mounted on the server's port before `start`. They bypass the console's
    session and token checks: an adapter authenticates its devices itself.
    """

    def routes(self) -> Sequence[web.RouteDef]:
        """The HTTP routes this adapter serves (none for most protocols)."""


@dataclass(frozen=True, slots=True)
class IngressContext:
    """What a factory gets to build its adapter from."""

    sink: EventSink
    store: Store
    public_url: str | None  # how devices reach this server (server.public_url), if set
    clock: Clock  # the runtime's and the outbox's: waits, retries and renewals use it


IngressFactory = Callable[[IngressContext], Ingress]
