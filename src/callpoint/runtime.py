"""The running server's core: engine decisions made durable, then announced.

Every path that changes state (an event, an operator command, a timer) goes through
`_commit`: the engine decides in memory, the store commits the decision, and only then is
anything acknowledged, told to the listeners (console feed, syslog, bridge) or handed to
the outbox.

The runtime is the `EventSink` of every ingress adapter (ingress/contract.py): it
normalises their raw facts against the site in force and takes the events they submit.
It knows nothing of HTTP or the console.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

from callpoint.clock import SYSTEM_CLOCK, Clock
from callpoint.config.site import Site
from callpoint.engine import Decision, Engine
from callpoint.ingress.contract import RawEvent
from callpoint.ingress.normalise import Normaliser
from callpoint.model import (
    Action,
    ActionState,
    AuditRecord,
    Event,
    action_moved,
    new_id,
)
from callpoint.store.base import (
    DuplicateEventError,
    Store,
    StoreError,
    StoreUnavailableError,
    Write,
)
from callpoint.tasks import TaskGroup

log = logging.getLogger(__name__)

RESTORE_LIMIT = 10_000  # incidents reloaded at start; more than any site has open at once
NO_TIMER = datetime.max.replace(tzinfo=UTC)  # what the timer loop sleeps until without one
STORE_RETRY_S = 1.0  # the store is down: the timer loop tries the due timers again after this

DecisionListener = Callable[[Decision], None]


class Dispatcher(Protocol):
    """Takes actions to run at once (the outbox); they are committed as running first."""

    def immediate(self, action: Action) -> bool: ...

    def dispatch(self, actions: Iterable[Action]) -> None: ...


def _running(a: Action) -> Action:
    """`a` committed as running (handed straight to its executor)."""
    return action_moved(a, ActionState.RUNNING, a.attempts, a.last_error, a.finished_at, a.due_at)


class Runtime:
    """Engine + store + stream for one site; survives config reloads."""

    def __init__(
        self,
        site: Site,
        store: Store,
        *,
        clock: Clock = SYSTEM_CLOCK,
        ids: Callable[[], str] = new_id,
    ) -> None:
        self.site = site
        self.store = store
        self.time = clock  # the timer loop waits on it; share it with the outbox and ingress
        self.clock = clock.now  # the instant every decision is made at
        self.engine = Engine(site, ids)
        self.normaliser = Normaliser(site)
        self.listeners: list[DecisionListener] = []
        self.dispatcher: Dispatcher | None = None
        self.store_ok = True
        self.started_at = clock.now()
        self.config_generation = 1
        self._wake = asyncio.Event()
        # The due time the timer loop sleeps until (None: awake, or no timer at all).
        self._sleeping_until: datetime | None = None
        self._tasks = TaskGroup("runtime")

    async def start(self) -> None:
        """Reload open incidents from the store and start the timer loop."""
        await self._restore()
        self._tasks.spawn("timers", self._timer_loop)

    async def stop(self) -> None:
        await self._tasks.stop()

    async def _restore(self) -> None:
        incidents = await self.store.incidents(active_only=False, limit=RESTORE_LIMIT)
        live = [i for i in incidents if str(i.state) != "archived"]
        actions = []
        for inc in live:
            actions.extend(await self.store.actions_for_incident(inc.id))
        self.engine.restore(live, actions, self.clock())
        log.info("restored %d open incidents", len(live))

    # -- inputs -----------------------------------------------------------------------

    def now(self) -> datetime:
        """The server's clock."""
        return self.clock()

    def normalise(self, raw: RawEvent, received_at: datetime) -> Event:
        """`raw` as an event of the site in force; raises UnknownReferenceError."""
        return self.normaliser.normalise(raw, received_at)

    async def submit_event(self, event: Event) -> Decision:
        """Decide and persist one accepted event; raises StoreUnavailableError."""
        decision = self.engine.handle(event, self.clock())
        await self._commit(decision)
        self._wake_timers()
        return decision

    async def command(self, decide: Callable[[Engine, datetime], Decision]) -> Decision:
        """Run an operator command against the engine and persist it."""
        decision = decide(self.engine, self.clock())
        await self._commit(decision)
        self._wake_timers()
        return decision

    async def audit(self, record: AuditRecord) -> None:
        """Persist an audit record that is not an engine decision (login, reload...)."""
        await self.store.write(Write(audit=(record,)))

    def reload(self, site: Site, actor: str) -> None:
        """Swap the site between two events; engine memory (incidents, holds) is kept."""
        self.site = site
        self.engine.site = site
        self.normaliser = Normaliser(site)
        self.config_generation += 1
        log.info("configuration %d in force (by %s)", self.config_generation, actor)

    # -- the one path to durability ---------------------------------------------------

    async def _commit(self, decision: Decision) -> None:
        if decision.empty:
            return
        handed: list[Action] = []
        if self.dispatcher is not None and decision.actions:
            actions = []
            for action in decision.actions:
                if self.dispatcher.immediate(action):
                    action = _running(action)
                    handed.append(action)
                actions.append(action)
            d = decision
            decision = Decision(d.event, d.incident_id, d.incidents, tuple(actions), d.audit)
        try:
            await self.store.write(decision.as_write())
        except DuplicateEventError:
            # Nothing was applied; engine memory took the event, so rebuild it from the store.
            await self._restore()
            raise
        except StoreError as exc:
            if self.store_ok:  # once per outage: a down store refuses every post
                log.exception("store write failed, rebuilding engine memory from the store")
            else:
                log.debug("store write failed again: %s", exc)
            self.store_ok = False
            try:
                await self._restore()
            except StoreError:
                log.exception("store unreadable; engine memory may be ahead of the store")
            raise StoreUnavailableError(str(exc)) from exc
        self.store_ok = True
        if handed and self.dispatcher is not None:
            self.dispatcher.dispatch(handed)
        self._announce(decision)

    def store_problem(self) -> str | None:
        """None while the store takes writes; otherwise why not (for `/healthz`)."""
        problem = self.store.problem()
        if problem is None and not self.store_ok:
            problem = "the last write failed"
        return problem

    def _announce(self, decision: Decision) -> None:
        for listener in self.listeners:
            listener(decision)

    # -- time -------------------------------------------------------------------------

    def _wake_timers(self) -> None:
        """Wake the timer loop if the engine now has a timer earlier than it sleeps for.
        (Waking it after every event cost a task and a timer per event.)"""
        due = self.engine.next_due()
        if due is not None and (self._sleeping_until is None or due < self._sleeping_until):
            self._wake.set()

    async def _timer_loop(self) -> None:
        while True:
            due = self.engine.next_due()
            timeout = 3600.0 if due is None else (due - self.clock()).total_seconds()
            if timeout > 0:
                self._sleeping_until = NO_TIMER if due is None else due
                await self.time.wait(self._wake, timeout)
                self._sleeping_until = None
            self._wake.clear()
            decision = self.engine.tick(self.clock())
            try:
                await self._commit(decision)
            except StoreUnavailableError:
                await self.time.sleep(STORE_RETRY_S)
