"""The runtime's timer loop on virtual time: escalations fire when the clock says, not later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from callpoint.config import Site
from callpoint.model import EventType, Incident, Source
from callpoint.runtime import Runtime
from callpoint.store.sqlite import SqliteStore
from tests import factories as f
from tests.clocks import ManualClock

pytestmark = pytest.mark.asyncio

SOS_ACK_TIMEOUT_S = 30.0  # the example site's sos rule


async def until(cond: Callable[[], bool], what: str) -> None:
    """Let the loop run (no clock moves) until `cond` holds."""
    for _ in range(2000):
        if cond():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(f.T0)


@pytest_asyncio.fixture
async def runtime(tmp_path: Path, example_site: Site, clock: ManualClock) -> AsyncIterator[Runtime]:
    store = SqliteStore(tmp_path / "cp.db")
    await store.open()
    rt = Runtime(example_site, store, clock=clock)
    await rt.start()
    yield rt
    await rt.stop()
    await store.close()


async def stored(rt: Runtime, incident_id: str) -> Incident:
    inc = await rt.store.incident(incident_id)
    assert inc is not None
    return inc


async def sos(rt: Runtime) -> str:
    event = f.event(type=EventType.SOS, priority=90, source=Source.WEBHOOK, received_at=rt.clock())
    decision = await rt.submit_event(event)
    assert decision.incident_id is not None
    return decision.incident_id


async def reaches(rt: Runtime, incident_id: str, level: int) -> Incident:
    """The stored incident once it has escalated to `level` (the write takes a moment)."""
    for _ in range(500):
        inc = await stored(rt, incident_id)
        if inc.escalation_level >= level:
            return inc
        await asyncio.sleep(0.001)
    raise AssertionError(f"never escalated to level {level}")


async def test_escalation_fires_at_the_ack_timeout_on_the_injected_clock(
    runtime: Runtime, clock: ManualClock
) -> None:
    incident_id = await sos(runtime)
    await until(lambda: clock.next_deadline == SOS_ACK_TIMEOUT_S, "loop asleep until the timer")
    clock.advance(SOS_ACK_TIMEOUT_S - 0.001)
    await asyncio.sleep(0.05)  # real time passes too: the loop must not act on it
    assert (await stored(runtime, incident_id)).escalation_level == 0
    clock.advance(0.001)
    inc = await reaches(runtime, incident_id, 1)
    assert inc.escalation_level == 1
    assert "supervisor" in inc.consoles


async def test_unacknowledged_sos_reaches_the_wall_after_two_timeouts(
    runtime: Runtime, clock: ManualClock
) -> None:
    incident_id = await sos(runtime)
    for level in (1, 2):
        await until(lambda: clock.next_deadline == SOS_ACK_TIMEOUT_S, f"asleep before {level}")
        clock.advance(SOS_ACK_TIMEOUT_S)
        inc = await reaches(runtime, incident_id, level)
        assert inc.escalation_level == level
    assert "wall" in inc.consoles


async def test_a_new_earlier_timer_wakes_the_loop_sleeping_without_one(
    runtime: Runtime, clock: ManualClock
) -> None:
    # No incident yet: the loop sleeps on the idle hour.
    await until(lambda: clock.next_deadline == 3600.0, "idle sleep")
    await sos(runtime)
    await until(lambda: clock.next_deadline == SOS_ACK_TIMEOUT_S, "sleep until the sos timer")
    assert clock.sleepers == 1  # the idle sleep was given up, not left behind
