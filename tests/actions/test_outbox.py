"""The outbox runner against a real SQLite store, driven by a hand-moved clock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from callpoint.actions.outbox import OutboxRunner, RetryPolicy
from callpoint.model import Action, ActionKind, ActionOutcome, ActionState
from callpoint.store.base import StoreError, Write
from callpoint.store.sqlite import SqliteStore
from tests import factories as f
from tests.clocks import ManualClock

ALL = frozenset(ActionState)


class ScriptedExecutor:
    """Answers each attempt with the next scripted outcome (or raises it)."""

    def __init__(
        self, kinds: frozenset[ActionKind], script: list[ActionOutcome | Exception]
    ) -> None:
        self.kinds = kinds
        self.script = script
        self.calls: list[Action] = []
        self.gate: asyncio.Event | None = None
        self.active = 0
        self.max_active = 0

    async def execute(self, action: Action) -> ActionOutcome:
        self.calls.append(action)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.gate is not None:
                await self.gate.wait()
            step = self.script.pop(0) if self.script else ActionOutcome(ok=True, detail="ok")
            if isinstance(step, Exception):
                raise step
            return step
        finally:
            self.active -= 1

    async def close(self) -> None:
        """Holds nothing."""


async def until(cond: Callable[[], bool], what: str = "condition") -> None:
    for _ in range(2000):
        if cond():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"timed out waiting for {what}")


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "db")
    await s.open()
    yield s
    await s.close()


def make_runner(
    store: SqliteStore,
    executor: ScriptedExecutor,
    clock: ManualClock,
    seen: list[tuple[Action, ActionOutcome]],
    **kw: object,
) -> OutboxRunner:
    policy = kw.pop("policy", RetryPolicy(max_attempts=4, base_delay=1.0, jitter=0.0))
    # arg-type (twice): policy and the other options come through `**kw: object`.
    return OutboxRunner(
        store,
        [executor],
        clock=clock,
        listener=lambda a, o: seen.append((a, o)),
        policy=policy,  # type: ignore[arg-type]
        poll_interval=3600.0,  # no polling: only notify and known timers wake the runner
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.asyncio
async def test_action_done_on_first_attempt_and_listener_told(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP}), [ActionOutcome(ok=True, detail="200")])
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await runner.start()
    act = f.action(kind=ActionKind.HTTP)
    await store.write(Write(actions=[act]))
    runner.notify()
    await until(lambda: len(seen) == 1, "listener")
    (stored,) = await store.actions()
    assert (stored.state, stored.attempts, stored.finished_at) == (ActionState.DONE, 1, f.T0)
    assert seen[0][0] == stored
    assert seen[0][1].detail == "200"
    await runner.stop()


@pytest.mark.asyncio
async def test_retries_back_off_exponentially_on_the_clock(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    retry = ActionOutcome(ok=False, detail="HTTP 503", retry=True)
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP}), [retry, retry, ActionOutcome(ok=True)])
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await store.write(Write(actions=[f.action(kind=ActionKind.HTTP)]))
    await runner.start()
    runner.notify()
    await until(lambda: len(seen) == 1, "first attempt")
    assert seen[0][0].state is ActionState.PLANNED
    assert seen[0][0].due_at == f.T0 + timedelta(seconds=1)
    assert seen[0][0].last_error == "HTTP 503"
    await until(lambda: clock.sleepers == 1, "runner asleep")
    clock.advance(0.5)
    await asyncio.sleep(0.02)
    assert len(ex.calls) == 1  # not yet due
    clock.advance(0.5)
    await until(lambda: len(seen) == 2, "second attempt")
    assert seen[1][0].due_at == f.T0 + timedelta(seconds=3)  # 1 s, then 2 s
    await until(lambda: clock.sleepers == 1, "runner asleep")
    clock.advance(2.0)
    await until(lambda: len(seen) == 3, "third attempt")
    (stored,) = await store.actions()
    assert (stored.state, stored.attempts) == (ActionState.DONE, 3)
    assert [c.attempts for c in ex.calls] == [0, 1, 2]
    assert (runner.done, runner.retried, runner.failed) == (1, 2, 0)
    await runner.stop()


@pytest.mark.asyncio
async def test_gives_up_after_max_attempts_with_last_error(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(
        frozenset({ActionKind.HTTP}),
        [ActionOutcome(ok=False, detail=f"down {n}", retry=True) for n in range(10)],
    )
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await store.write(Write(actions=[f.action(kind=ActionKind.HTTP)]))
    await runner.start()
    runner.notify()
    for n in range(1, 4):
        await until(lambda: len(seen) == n, f"attempt {n}")  # noqa: B023 - awaited at once
        await until(lambda: clock.sleepers == 1, "runner asleep")
        clock.advance(60)
    await until(lambda: len(seen) == 4, "last attempt")
    (stored,) = await store.actions()
    assert (stored.state, stored.attempts, stored.last_error) == (ActionState.FAILED, 4, "down 3")
    assert stored.finished_at is not None
    assert (runner.done, runner.retried, runner.failed) == (0, 3, 1)
    await runner.stop()


@pytest.mark.asyncio
async def test_refusal_fails_without_retry_and_exception_retries(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(
        frozenset({ActionKind.HTTP}),
        [RuntimeError("bug"), ActionOutcome(ok=False, detail="HTTP 404", retry=False)],
    )
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await store.write(Write(actions=[f.action(kind=ActionKind.HTTP)]))
    await runner.start()
    runner.notify()
    await until(lambda: len(seen) == 1, "first attempt")
    assert "RuntimeError: bug" in (seen[0][0].last_error or "")
    assert seen[0][0].state is ActionState.PLANNED
    await until(lambda: clock.sleepers == 1, "runner asleep")
    clock.advance(1)
    await until(lambda: len(seen) == 2, "second attempt")
    (stored,) = await store.actions()
    assert (stored.state, stored.attempts, stored.last_error) == (
        ActionState.FAILED,
        2,
        "HTTP 404",
    )
    await runner.stop()


@pytest.mark.asyncio
async def test_kinds_without_executor_stay_planned(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP}), [])
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await runner.start()
    preset, http = f.action(kind=ActionKind.PRESET), f.action(kind=ActionKind.HTTP)
    await store.write(Write(actions=[preset, http]))
    runner.notify()
    await until(lambda: len(seen) == 1, "http done")
    states = {a.id: a.state for a in await store.actions(states=ALL)}
    assert states == {preset.id: ActionState.PLANNED, http.id: ActionState.DONE}
    assert [c.id for c in ex.calls] == [http.id]
    await runner.stop()


@pytest.mark.asyncio
async def test_timer_due_later_runs_when_clock_reaches_it(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(frozenset({ActionKind.HOME}), [])
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await runner.start()
    due = f.T0 + timedelta(seconds=30)
    await store.write(Write(actions=[f.action(kind=ActionKind.HOME, due_at=due)]))
    runner.notify(due)
    await until(lambda: clock.sleepers == 1, "runner asleep")
    clock.advance(29.9)
    await asyncio.sleep(0.02)
    assert ex.calls == []
    clock.advance(0.1)
    await until(lambda: len(seen) == 1, "timer fired")
    assert seen[0][0].state is ActionState.DONE
    await runner.stop()


@pytest.mark.asyncio
async def test_start_requeues_actions_a_crash_left_running(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    act = f.action(kind=ActionKind.HTTP)
    await store.write(Write(actions=[act]))
    assert len(await store.claim_due_actions(f.T0, frozenset({ActionKind.HTTP}), 1)) == 1
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP}), [])
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await runner.start()  # the first pass runs without a notify
    await until(lambda: len(seen) == 1, "requeued action done")
    assert seen[0][0].id == act.id
    await runner.stop()


@pytest.mark.asyncio
async def test_concurrency_is_bounded(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP}), [])
    ex.gate = asyncio.Event()
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen, max_concurrency=3)
    await store.write(Write(actions=[f.action(kind=ActionKind.HTTP) for _ in range(10)]))
    await runner.start()
    await until(lambda: ex.active == 3, "three in flight")
    await asyncio.sleep(0.02)
    assert ex.active == 3
    running = await store.actions(states=frozenset({ActionState.RUNNING}))
    assert len(running) == 3
    ex.gate.set()
    await until(lambda: len(seen) == 10, "all done")
    assert ex.max_active == 3
    await runner.stop()


def test_backoff_doubles_caps_and_jitters_within_bounds() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, jitter=0.5)
    rng = random.Random(7)
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (2000, 10.0)]:
        for _ in range(20):
            assert full * 0.5 <= policy.delay(attempt, rng) <= full


def test_two_executors_for_one_kind_is_refused(tmp_path: Path) -> None:
    a = ScriptedExecutor(frozenset({ActionKind.HTTP}), [])
    b = ScriptedExecutor(frozenset({ActionKind.HTTP, ActionKind.RELAY}), [])
    with pytest.raises(ValueError, match="two executors"):
        OutboxRunner(SqliteStore(tmp_path / "db"), [a, b])


@pytest.mark.asyncio
async def test_many_actions_each_run_exactly_once(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP, ActionKind.RELAY}), [])
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen, max_concurrency=8)
    await runner.start()
    actions = [
        f.action(kind=ActionKind.HTTP if n % 2 else ActionKind.RELAY, priority=n % 100)
        for n in range(400)
    ]
    for n in range(0, 400, 40):  # written in bursts while the runner is busy
        await store.write(Write(actions=actions[n : n + 40]))
        runner.notify()
    await until(lambda: len(seen) == 400, "all done")
    assert sorted(c.id for c in ex.calls) == sorted(a.id for a in actions)
    done = await store.actions(states=frozenset({ActionState.DONE}), limit=1000)
    assert len(done) == 400
    await runner.stop()


class FlakyClaims:
    """A real store whose first claims fail, as when the disk is briefly unavailable."""

    def __init__(self, store: SqliteStore, failures: int) -> None:
        self._store = store
        self.failures = failures

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def claim_due_actions(self, *args: object) -> list[Action]:
        if self.failures:
            self.failures -= 1
            raise StoreError("disk I/O error")
        # arg-type: the arguments are passed through as they came (`*args: object`).
        return await self._store.claim_due_actions(*args)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_claim_failures_are_logged_and_retried_after_a_poll(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP}), [])
    seen: list[tuple[Action, ActionOutcome]] = []
    flaky = FlakyClaims(store, failures=1)
    runner = OutboxRunner(
        flaky,  # type: ignore[arg-type]  # a stand-in that delegates to a SqliteStore
        [ex],
        clock=clock,
        listener=lambda a, o: seen.append((a, o)),
        poll_interval=5.0,
    )
    await store.write(Write(actions=[f.action(kind=ActionKind.HTTP)]))
    await runner.start()
    await until(lambda: clock.sleepers == 1, "runner backing off")
    for _ in range(5):
        runner.notify()  # a flood of notifications does not hammer a failing store
    await asyncio.sleep(0.02)
    assert (flaky.failures, ex.calls) == (0, [])
    clock.advance(5.0)
    await until(lambda: len(seen) == 1, "action done after the store recovered")
    assert "claiming failed, retrying: disk I/O error" in caplog.text
    await runner.stop()


@pytest.mark.asyncio
async def test_wall_clock_stepping_back_is_reported(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP}), [])
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await runner.start()
    await until(lambda: clock.sleepers == 1, "runner asleep")
    clock.advance(-600)  # an operator fixes a clock that ran ten minutes ahead
    runner.notify()
    await until(lambda: "stepped back by 0:10:00" in caplog.text, "warning")
    await runner.stop()
    assert any(
        r.levelname == "WARNING" and "stepped back" in r.getMessage() for r in caplog.records
    )


class CountingClaims(FlakyClaims):
    """A real store that counts the outbox's claims."""

    def __init__(self, store: SqliteStore) -> None:
        super().__init__(store, failures=0)
        self.claims = 0

    async def claim_due_actions(self, *args: object) -> list[Action]:
        self.claims += 1
        return await super().claim_due_actions(*args)


@pytest.mark.asyncio
async def test_handed_actions_run_without_asking_the_store(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = ScriptedExecutor(frozenset({ActionKind.HTTP}), [])
    seen: list[tuple[Action, ActionOutcome]] = []
    counting = CountingClaims(store)
    # arg-type: a stand-in that delegates to a SqliteStore, not a SqliteStore.
    runner = make_runner(counting, ex, clock, seen)  # type: ignore[arg-type]
    await runner.start()
    await until(lambda: counting.claims == 1, "the claim at start")
    handed = [f.action(kind=ActionKind.HTTP, state=ActionState.RUNNING) for _ in range(20)]
    await store.write(Write(actions=handed))
    runner.dispatch(handed)
    await until(lambda: len(seen) == 20, "handed actions done")
    assert counting.claims == 1  # neither the hand-over nor the finished attempts looked
    # Something written for the store to hand out is looked for at once.
    later = f.action(kind=ActionKind.HTTP)
    await store.write(Write(actions=[later]))
    runner.notify()
    await until(lambda: len(seen) == 21, "notified action done")
    assert counting.claims == 2
    # Something due later is looked for when it is due, not when it is announced.
    due = f.T0 + timedelta(seconds=10)
    await store.write(Write(actions=[f.action(kind=ActionKind.HTTP, due_at=due)]))
    runner.notify(due)
    await asyncio.sleep(0.02)
    assert counting.claims == 2
    clock.advance(10.0)
    await until(lambda: len(seen) == 22, "delayed action done")
    assert counting.claims == 3
    assert all(a.state is ActionState.DONE for a in await store.actions(limit=100))
    await runner.stop()


class HalfInstant(ScriptedExecutor):
    """Finishes attempts on targets named "now-*" at once; the rest go through execute."""

    def try_now(self, action: Action) -> ActionOutcome | None:
        if action.target.startswith("now-"):
            return ActionOutcome(ok=True, detail="instant")
        return None


@pytest.mark.asyncio
async def test_instant_outcomes_skip_execute_and_the_rest_still_run(store: SqliteStore) -> None:
    clock = ManualClock(f.T0)
    ex = HalfInstant(frozenset({ActionKind.HTTP}), [ActionOutcome(ok=True, detail="slow")])
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = make_runner(store, ex, clock, seen)
    await runner.start()
    quick = f.action(kind=ActionKind.HTTP, target="now-1", state=ActionState.RUNNING)
    slow = f.action(kind=ActionKind.HTTP, target="later-1", state=ActionState.RUNNING)
    await store.write(Write(actions=[quick, slow]))
    runner.dispatch([quick, slow])
    await until(lambda: len(seen) == 2, "both outcomes")
    assert [a.target for a in ex.calls] == ["later-1"]  # execute ran only for the slow one
    assert {(a.target, o.detail) for a, o in seen} == {("now-1", "instant"), ("later-1", "slow")}
    assert {a.state for a in await store.actions()} == {ActionState.DONE}
    await runner.stop()
