"""Time, injected: the wall clock and real waiting in production, virtual time in tests.

Everything that waits for a timer takes a `Clock`: the runtime's timer loop, the outbox
and the ONVIF subscription workers. One `SystemClock` serves them all in production;
tests drive them with the hand-moved clock in ``tests/clocks.py`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Protocol

from callpoint.model import utc_now


class Clock(Protocol):
    """The current instant, elapsed time, and waiting, all on one clock."""

    def now(self) -> datetime:
        """The current wall time, timezone-aware (what is stored and compared to due times)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never steps back (for intervals: renewals, timeouts)."""

    async def sleep(self, seconds: float) -> None:
        """Return after `seconds` have passed on this clock."""

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        """Wait until `event` is set (True) or `seconds` pass on this clock (False)."""


class SystemClock:
    """The real clock: UTC wall time, the monotonic clock, asyncio waiting."""

    def now(self) -> datetime:
        return utc_now()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        try:
            # Not wait_for: on 3.11 it swallows a cancel that comes as the event is set,
            # and a cancelled waiter (the outbox at shutdown) then waits on forever.
            async with asyncio.timeout(max(0.0, seconds)):
                await event.wait()
        except TimeoutError:
            return event.is_set()
        return True


SYSTEM_CLOCK = SystemClock()
"""The one real clock, the default of everything that takes a `Clock`."""
