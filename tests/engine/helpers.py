"""A fake clock and an event factory for deterministic engine tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from callpoint.config import Site
from callpoint.engine import Decision, Engine
from callpoint.model import Action, ActionKind, Event, EventType, Source

T0 = datetime(2026, 11, 21, 8, 0, 0, tzinfo=UTC)

DEVICE_LOCATION = {
    "EXPH-03": "TANKFARM-EAST-POST-03",
    "EXPH-07": "TANKFARM-EAST-POST-07",
    "GATE-INTERCOM-01": "MAIN-GATE",
    "TANKFARM-EAST-FIX-02": "TANKFARM-EAST-POST-03",
}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class Harness:
    """An engine, a fake clock and counter ids: same inputs, same outputs."""

    def __init__(self, engine_factory: type[Engine], site: Site) -> None:
        counter = itertools.count(1)
        self.clock = Clock()
        self.engine = engine_factory(site, ids=lambda: f"id{next(counter)}")
        self._events = itertools.count(1)

    def event(self, device: str, type_: EventType) -> Decision:
        ev = Event(
            id=f"ev{next(self._events)}",
            device_id=device,
            location=DEVICE_LOCATION[device],
            type=type_,
            device_time=self.clock.now,
            received_at=self.clock.now,
            source=Source.WEBHOOK,
        )
        return self.engine.handle(ev, self.clock.now)

    def tick(self, seconds: float) -> Decision:
        return self.engine.tick(self.clock.advance(seconds))


def of_kind(decision: Decision, kind: ActionKind) -> list[Action]:
    return [a for a in decision.actions if a.kind is kind]


def targets(decision: Decision, kind: ActionKind) -> list[str]:
    return [a.target for a in of_kind(decision, kind)]
