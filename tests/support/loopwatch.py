"""Watches every event loop the suite runs: who created each task, and whether a step held it.

Every loop in the suite is made by `asyncio.Runner`: pytest-asyncio's runners, `asyncio.run`
and, on Python 3.11, `uvloop.run` all use it. `install()` wraps `Runner.run`, `Runner.get_loop`
and `Runner.close`, so the first use of a runner gives its loop a `LoopWatch`:

- a task factory that records the owner of each task: the owner of the task that created it,
  else whoever is current (a test, or a fixture wider than a function while it is set up);
- a heartbeat every `BEAT_S` that a watchdog thread checks: a loop that is running but has
  not beaten for longer than the bound is held by one step, and the loop thread's stack at
  that moment is kept for the report;
- a default executor whose threads are named after the watch, so the thread check can tell
  them from leaked threads while their loop is still open.

On close, every task still pending is a leak (the runner would cancel it silently).
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Coroutine, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

# The heartbeat period and the watchdog's polling period: 10 timer callbacks a second per
# open loop cost nothing measurable, and keep the error of the measured hold under 0.2 s.
BEAT_S = 0.1
POLL_S = 0.1

# The innermost frames of a held loop's stack that the report shows: the step and its callees.
STACK_FRAMES = 12

TaskCoro = Coroutine[Any, Any, Any] | Generator[Any, None, Any]


class Owners:
    """Who is current: the running test's node id, or a wider fixture while it is set up."""

    def __init__(self) -> None:
        self.test = "<no test>"
        self.fixtures: list[str] = []

    def current(self) -> str:
        return self.fixtures[-1] if self.fixtures else self.test


class Findings:
    """Leaks and blocks seen since the last `take()`; written from the loops and the watchdog."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[str] = []

    def add(self, text: str) -> None:
        with self._lock:
            self._items.append(text)

    def take(self) -> list[str]:
        with self._lock:
            items, self._items = self._items, []
        return items


def describe(task: asyncio.Task[Any]) -> str:
    """A task's name and coroutine, with where the coroutine is suspended."""
    coro = task.get_coro()
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    where = ""
    if frame is not None:
        where = f" suspended at {frame.f_code.co_filename}:{frame.f_lineno}"
    name = getattr(code, "co_qualname", repr(coro))
    state = " (cancelled, never awaited to the end)" if task.cancelling() else ""
    return f"task {task.get_name()!r} running {name}{where}{state}"


class LoopWatch:
    """One loop's task owners, heartbeat and default executor."""

    _count = 0

    def __init__(self, loop: asyncio.AbstractEventLoop, owners: Owners, bound_s: float) -> None:
        LoopWatch._count += 1
        self.loop = loop
        self.name = f"hygiene-loop{LoopWatch._count}"
        self.owners = owners
        self.bound_s = bound_s
        self.task_owner: weakref.WeakKeyDictionary[asyncio.Task[Any], str] = (
            weakref.WeakKeyDictionary()
        )
        self.reported: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self.last_beat = time.monotonic()
        self.thread_id: int | None = None
        self.idle = True
        self.held: str | None = None  # the stack of the step holding the loop, once seen
        loop.set_task_factory(self._make_task)
        loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix=f"{self.name}-executor"))
        self._handle: asyncio.Handle = loop.call_soon(self._beat)

    def _make_task(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: TaskCoro,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, context=context)
        parent = asyncio.current_task(loop)
        owner = self.task_owner.get(parent) if parent is not None else None
        self.task_owner[task] = owner if owner is not None else self.owners.current()
        return task

    def _beat(self) -> None:
        now = time.monotonic()
        self.thread_id = threading.get_ident()
        self.held = None  # a new episode may be reported
        self.last_beat = now
        self._handle = self.loop.call_later(BEAT_S, self._beat)

    def check(self, now: float, findings: Findings) -> None:
        """Called by the watchdog: note a step that has held the running loop too long."""
        if not self.loop.is_running():
            self.idle = True
            return
        if self.idle:  # a stopped loop does not beat; start counting again
            self.idle = False
            self.last_beat = now
            return
        if self.held is not None or now - self.last_beat <= self.bound_s + BEAT_S:
            return
        frame = sys._current_frames().get(self.thread_id or -1)
        stack = (
            "".join(traceback.format_stack(frame, STACK_FRAMES))
            if frame is not None
            else "(no stack)\n"
        )
        self.held = stack
        findings.add(
            f"a step held the event loop {self.name} for over {self.bound_s} s "
            f"(the bound), in {self.owners.current()}; its stack then:\n{stack}"
        )

    def leaks_of(self, owner: str) -> list[asyncio.Task[Any]]:
        """Pending tasks `owner` created and nobody reported yet."""
        found = []
        for task in asyncio.all_tasks(self.loop):
            if self.task_owner.get(task) == owner and task not in self.reported:
                self.reported.add(task)
                found.append(task)
        return found

    def closing(self, findings: Findings) -> None:
        """The runner is about to cancel what is left: every pending task is a leak."""
        self._handle.cancel()
        for task in asyncio.all_tasks(self.loop):
            if task in self.reported:
                continue
            owner = self.task_owner.get(task, "an unknown owner")
            findings.add(f"{describe(task)} (created by {owner}) was pending when its loop closed")


class Watching:
    """The patched `asyncio.Runner`, the open loops and the watchdog thread."""

    def __init__(self, bound_s: float) -> None:
        self.bound_s = bound_s
        self.owners = Owners()
        self.findings = Findings()
        self.open: dict[asyncio.Runner, LoopWatch] = {}
        self._stop = threading.Event()
        self._dog = threading.Thread(target=self._watch, name="hygiene-watchdog", daemon=True)
        self._saved: dict[str, Callable[..., Any]] = {}

    def install(self) -> None:
        runner = asyncio.Runner
        self._saved = {"run": runner.run, "get_loop": runner.get_loop, "close": runner.close}
        run, get_loop, close = runner.run, runner.get_loop, runner.close

        def watched_get_loop(this: asyncio.Runner) -> asyncio.AbstractEventLoop:
            loop = get_loop(this)
            if this not in self.open:
                self.open[this] = LoopWatch(loop, self.owners, self.bound_s)
            return loop

        def watched_run(
            this: asyncio.Runner,
            coro: Coroutine[Any, Any, T],
            *,
            context: contextvars.Context | None = None,
        ) -> T:
            watched_get_loop(this)
            return run(this, coro, context=context)

        def watched_close(this: asyncio.Runner) -> None:
            watch = self.open.pop(this, None)
            if watch is not None:
                watch.closing(self.findings)
            close(this)

        watched = {"get_loop": watched_get_loop, "run": watched_run, "close": watched_close}
        for name, method in watched.items():
            setattr(runner, name, method)
        self._dog.start()

    def uninstall(self) -> None:
        for name, method in self._saved.items():
            setattr(asyncio.Runner, name, method)
        self._stop.set()
        self._dog.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(POLL_S):
            now = time.monotonic()
            for watch in list(self.open.values()):
                watch.check(now, self.findings)

    def executor_prefixes(self) -> tuple[str, ...]:
        """Thread-name prefixes of the default executors of loops still open."""
        return tuple(f"{w.name}-executor" for w in list(self.open.values()))

    def pending_of(self, owner: str) -> list[str]:
        """Tasks `owner` created that are still pending on loops still open."""
        return [
            f"{describe(task)} was still pending after the test and its fixtures"
            for watch in list(self.open.values())
            for task in watch.leaks_of(owner)
        ]
