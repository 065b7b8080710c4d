"""Virtual time for tests: a `Clock` that moves only when the test says so."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callpoint.clock import Clock


class ManualClock:
    """A clock that moves only when `advance` is called; sleepers wake as it passes them.

    Satisfies `callpoint.clock.Clock`: its monotonic time is the seconds advanced since
    `start`.
    """

    def __init__(self, start: datetime) -> None:
        self._start = self._now = start
        # Deadlines are instants (microsecond steps), so 0.1 + 0.2 reaches a 0.3 s sleeper.
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return (self._now - self._start).total_seconds()

    @property
    def sleepers(self) -> int:
        """How many tasks are waiting on this clock."""
        return sum(1 for _, f in self._sleepers if not f.done())

    @property
    def next_deadline(self) -> float | None:
        """Seconds from now until the earliest sleeper wakes (None: nobody sleeps)."""
        waiting = [d for d, f in self._sleepers if not f.done()]
        return None if not waiting else max(0.0, (min(waiting) - self._now).total_seconds())

    async def sleep(self, seconds: float) -> None:
        deadline = self._now + timedelta(seconds=max(0.0, seconds))
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (deadline, future)
        self._sleepers.append(entry)
        try:
            await future
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        waiters = {
            asyncio.ensure_future(event.wait()),
            asyncio.ensure_future(self.sleep(seconds)),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        return event.is_set()

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        self._now += timedelta(seconds=seconds)
        for deadline, future in list(self._sleepers):
            if deadline <= self._now and not future.done():
                future.set_result(None)


if TYPE_CHECKING:  # mypy proves the test clock can stand in for the real one
    _: Clock = ManualClock(datetime.min)
