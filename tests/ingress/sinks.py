"""An `EventSink` for adapter tests: the site's real normaliser, and a list of what came."""

from __future__ import annotations

import functools
import os
from datetime import datetime
from unittest import mock

from callpoint.config import Site, load_site
from callpoint.engine import Decision
from callpoint.ingress.contract import RawEvent
from callpoint.ingress.normalise import Normaliser
from callpoint.model import Event, EventType, utc_now
from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET


@functools.cache
def example_site() -> Site:
    """examples/site.yaml, with the test secrets it reads from the environment."""
    env = {"CALLPOINT_WEBHOOK_SECRET": WEBHOOK_SECRET, "CALLPOINT_API_TOKEN": API_TOKEN}
    with mock.patch.dict(os.environ, env):
        return load_site(EXAMPLE_SITE)


class RecordingSink:
    """Normalises like the runtime does and keeps every submitted event, in order."""

    def __init__(self, site: Site | None = None) -> None:
        self.site = site or example_site()
        self.normaliser = Normaliser(self.site)
        self.events: list[Event] = []

    def now(self) -> datetime:
        return utc_now()

    def normalise(self, raw: RawEvent, received_at: datetime) -> Event:
        return self.normaliser.normalise(raw, received_at)

    async def submit_event(self, event: Event) -> Decision:
        self.events.append(event)
        return Decision(event=event)

    def of(self, *types: EventType) -> list[Event]:
        return [e for e in self.events if e.type in types]
