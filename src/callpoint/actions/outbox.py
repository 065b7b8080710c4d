"""The outbox runner: takes planned actions from the store and sees each one through.

An action is claimed (marked running) before it is attempted, and every attempt's outcome
is written back: done, planned again for a retry after a backoff, or failed with the last
error. Kinds without an executor are never claimed; they stay `planned` and visible.
A crash leaves claimed actions `running`; `start` puts them back to `planned` first.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from callpoint.actions.executor import Executor
from callpoint.clock import SYSTEM_CLOCK, Clock
from callpoint.logsparse import SparseLog
from callpoint.model import Action, ActionKind, ActionOutcome, ActionState, action_moved
from callpoint.store.base import ActionUpdate, Store, StoreError

log = logging.getLogger(__name__)

OutcomeListener = Callable[[Action, ActionOutcome], Awaitable[None] | None]

# Bound on the remembered future due times (retries, notified timers); the poll covers
# anything forgotten.
MAX_KNOWN_TIMERS: Final = 10_000
# A backwards step of the wall clock larger than this is reported.
CLOCK_STEP_WARNING: Final = timedelta(seconds=5)
# An outcome's detail is kept as `last_error` up to this many characters.
MAX_ERROR_CHARS: Final = 1000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failing action is tried again.

    The n-th retry waits `base_delay * 2**(n-1)` seconds, at most `max_delay`, shortened
    by a random fraction up to `jitter` so that many actions failing together (a VMS
    restart) do not retry in lockstep.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 300.0
    jitter: float = 0.5
    attempt_timeout: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 60))
        return raw * (1.0 - self.jitter * rng.random())


class OutboxRunner:
    """Claims due actions for the kinds it has executors for and runs them concurrently."""

    def __init__(
        self,
        store: Store,
        executors: Iterable[Executor],
        *,
        clock: Clock | None = None,
        listener: OutcomeListener | None = None,
        policy: RetryPolicy | None = None,
        max_concurrency: int = 16,
        poll_interval: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._by_kind: dict[ActionKind, Executor] = {}
        for executor in executors:
            for kind in executor.kinds:
                if kind in self._by_kind:
                    raise ValueError(f"two executors for action kind {kind.value!r}")
                self._by_kind[kind] = executor
        self.kinds = frozenset(self._by_kind)
        self._clock = clock or SYSTEM_CLOCK
        self._listener = listener
        self._policy = policy or RetryPolicy()
        self._max_concurrency = max_concurrency
        self._poll_interval = poll_interval
        self._rng = rng or random.Random()  # jitter only; not security-relevant
        self._wake = asyncio.Event()
        # Whether the store may hold due actions we have not claimed. Handed actions and
        # finished attempts need no look at the store: only start, notify(), a known due
        # time, a full claim and the poll do. (A store query per event cost the event
        # loop more than the event itself at low rates.)
        self._look = True
        self._timers: list[datetime] = []
        self._running: set[asyncio.Task[None]] = set()
        # Actions committed as `running` by their producer, waiting for a free slot.
        self._handed: collections.deque[Action] = collections.deque()
        # Outcomes finished without waiting (try_now) this loop turn, to record together.
        self._instant: list[tuple[Action, ActionOutcome, ActionUpdate]] = []
        self._failures = SparseLog(log, logging.WARNING)
        self._loop_task: asyncio.Task[None] | None = None
        self._last_now: datetime | None = None
        # Attempts by result since start, for health reporting.
        self.done = 0
        self.retried = 0
        self.failed = 0

    @property
    def in_flight(self) -> int:
        """Attempts under way right now."""
        return len(self._running)

    async def start(self) -> None:
        """Put actions a crash left running back to planned, then start claiming."""
        requeued = await self._store.requeue_running()
        if requeued:
            log.warning("outbox: %d actions left running by a previous run requeued", requeued)
        self._loop_task = asyncio.create_task(self._loop(), name="outbox")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; give attempts under way `grace` seconds, then cancel them.

        A cancelled attempt stays `running` in the store and is requeued at next start.
        """
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._running:
            _, pending = await asyncio.wait(set(self._running), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def immediate(self, action: Action) -> bool:
        """Whether `dispatch` may take this action: an executor exists and it is due now."""
        return action.kind in self.kinds and action.due_at is None

    def dispatch(self, actions: Iterable[Action]) -> None:
        """Run actions their producer already committed as `running`, without a claim.

        This saves a store round trip before a pop-up shows. Should the process die first,
        `requeue_running` at the next start plans them again: at least once, never lost.
        """
        self._handed.extend(actions)
        self._wake.set()

    def notify(self, due_at: datetime | None = None) -> None:
        """New actions were written: look now, or at `due_at` if that is later."""
        if due_at is not None and due_at > self._clock.now():
            if len(self._timers) < MAX_KNOWN_TIMERS:
                heapq.heappush(self._timers, due_at)
                if self._timers[0] != due_at:
                    return  # an earlier timer already wakes the runner in time
            else:
                self._look = True  # too many to remember: the poll finds them
        else:
            self._look = True
        self._wake.set()

    # -- the claiming loop -----------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._claim()
            except StoreError as exc:
                # No trace: the message says it all. Wait a poll, however many notify().
                log.error("outbox: claiming failed, retrying: %s", exc)  # noqa: TRY400
                await self._clock.sleep(self._poll_interval)
            except Exception:  # supervisor: log, keep the outbox alive
                log.exception("outbox: unexpected error while claiming")
                await self._clock.sleep(self._poll_interval)
            await self._wait()

    def _now(self) -> datetime:
        now = self._clock.now()
        if self._last_now is not None and now < self._last_now - CLOCK_STEP_WARNING:
            # Due times are wall-clock instants in the store: a step back delays them.
            log.warning(
                "outbox: wall clock stepped back by %s; waiting actions are late by as much",
                self._last_now - now,
            )
        self._last_now = now
        return now

    async def _claim(self) -> None:
        while self._handed and len(self._running) < self._max_concurrency:
            self._start(self._handed.popleft())
        now = self._clock.now()
        while self._timers and self._timers[0] <= now:
            heapq.heappop(self._timers)
            self._look = True
        while self.kinds and self._look:
            free = self._max_concurrency - len(self._running)
            if free <= 0:
                return  # still worth a look when a slot frees
            self._look = False
            try:
                claimed = await self._store.claim_due_actions(self._now(), self.kinds, free)
            except BaseException:
                self._look = True
                raise
            for action in claimed:
                self._start(action)
            if len(claimed) == free:
                self._look = True  # the claim was full: more may be due

    def _start(self, action: Action) -> None:
        if self._try_now(action):
            return
        task = asyncio.create_task(self._attempt(action), name=f"action-{action.id}")
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._handed or self._look:
            self._wake.set()  # a slot is free for what waits

    async def _wait(self) -> None:
        now = self._clock.now()
        timeout = self._poll_interval
        if self._timers:
            timeout = min(timeout, (self._timers[0] - now).total_seconds())
        if self._wake.is_set() or timeout <= 0:
            return
        if not await self._clock.wait(self._wake, timeout):
            self._look = True  # the poll: whatever the store holds that is due by now

    # -- one attempt -----------------------------------------------------------------

    async def _attempt(self, action: Action) -> None:
        outcome = await self._execute(action)
        outcome, update = self._judge(action, outcome)
        try:
            await self._store.update_action(update)
        except StoreError as exc:
            # Left `running`: requeued at the next start rather than lost.
            log.error("outbox: could not record outcome of %s: %s", action.id, exc)  # noqa: TRY400
            return
        await self._recorded(action, outcome, update)

    def _judge(self, action: Action, outcome: ActionOutcome) -> tuple[ActionOutcome, ActionUpdate]:
        """The outcome (detail bounded) and the store update it leads to."""
        attempt = action.attempts + 1
        if len(outcome.detail) > MAX_ERROR_CHARS:
            outcome = replace(outcome, detail=outcome.detail[: MAX_ERROR_CHARS - 1] + "…")
        now = self._clock.now()
        if outcome.ok:
            return outcome, ActionUpdate(action.id, ActionState.DONE, attempt, finished_at=now)
        if outcome.retry and attempt < self._policy.max_attempts:
            due = now + timedelta(seconds=self._policy.delay(attempt, self._rng))
            return outcome, ActionUpdate(
                action.id, ActionState.PLANNED, attempt, last_error=outcome.detail, due_at=due
            )
        error = outcome.detail or "failed"
        return outcome, ActionUpdate(
            action.id, ActionState.FAILED, attempt, last_error=error, finished_at=now
        )

    async def _recorded(self, action: Action, outcome: ActionOutcome, update: ActionUpdate) -> None:
        """After the update is committed: count, plan the retry's wake-up, report, tell."""
        if update.state is ActionState.DONE:
            self.done += 1
        elif update.state is ActionState.FAILED:
            self.failed += 1
        else:
            self.retried += 1
        if update.due_at is not None:
            self.notify(update.due_at)
        after = action_moved(
            action,
            update.state,
            update.attempts,
            update.last_error,
            update.finished_at,
            update.due_at or action.due_at,
        )
        # Successes are routine (syslog records them); retries and failures are news, but a
        # dead target fails thousands of actions: log the first per target and minute.
        if not outcome.ok:
            self._failures.report(
                f"{action.kind.value} {action.target}",
                "action %s %s %s attempt %d: %s (%s)",
                action.id,
                action.kind.value,
                action.target,
                update.attempts,
                after.state.value,
                outcome.detail,
            )
        await self._tell(after, outcome)

    # -- attempts that need no waiting -----------------------------------------------

    def _try_now(self, action: Action) -> bool:
        """Finish `action` here if its executor can without waiting; True if it did.

        Its outcome joins the others of this loop turn; one task records them all, with
        their updates committed together, instead of a task per action.
        """
        try_now = getattr(self._by_kind[action.kind], "try_now", None)
        if try_now is None:
            return False
        try:
            outcome: ActionOutcome | None = try_now(action)
        except Exception as exc:  # an executor bug must not kill the outbox
            log.exception("outbox: executor for %s raised", action.kind.value)
            outcome = ActionOutcome(
                ok=False, detail=f"executor error: {type(exc).__name__}: {exc}", retry=True
            )
        if outcome is None:
            return False
        outcome, update = self._judge(action, outcome)
        self._instant.append((action, outcome, update))
        if len(self._instant) == 1:
            task = asyncio.create_task(self._record_instant(), name="outbox-instant")
            self._running.add(task)
            task.add_done_callback(self._finished)
        return True

    async def _record_instant(self) -> None:
        await asyncio.sleep(0)  # let the rest of this loop turn add theirs
        batch, self._instant = self._instant, []
        try:
            errors = await self._store.update_actions([u for _, _, u in batch])
        except StoreError as exc:
            errors = [exc] * len(batch)
        for (action, outcome, update), error in zip(batch, errors, strict=True):
            if error is not None:
                log.error("outbox: could not record outcome of %s: %s", action.id, error)
                continue  # left `running`: requeued at the next start rather than lost
            await self._recorded(action, outcome, update)

    async def _execute(self, action: Action) -> ActionOutcome:
        executor = self._by_kind[action.kind]
        timeout = self._policy.attempt_timeout
        try:
            return await asyncio.wait_for(executor.execute(action), timeout)
        except TimeoutError:
            return ActionOutcome(ok=False, detail=f"no outcome within {timeout:g} s", retry=True)
        except Exception as exc:  # an executor bug must not kill the outbox
            log.exception("outbox: executor for %s raised", action.kind.value)
            return ActionOutcome(
                ok=False, detail=f"executor error: {type(exc).__name__}: {exc}", retry=True
            )

    async def _tell(self, action: Action, outcome: ActionOutcome) -> None:
        if self._listener is None:
            return
        try:
            result = self._listener(action, outcome)
            if inspect.isawaitable(result):
                await result
        except Exception:  # a listener's failure is its own; the outcome is recorded
            log.exception("outbox: outcome listener failed for action %s", action.id)
