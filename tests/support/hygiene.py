"""Test hygiene as a pytest plugin (registered by tests/conftest.py's `pytest_plugins`).

A test fails (an error in its teardown, naming what it left) when, after the test and the
teardown of its fixtures:
- an asyncio task it created is still pending, or was pending when its loop closed;
- a thread that was not alive before it is still alive (after `THREAD_GRACE_S` to finish);
- one step held an event loop longer than the bound (`LOOP_BLOCK_BOUND_S`, or the
  environment variable CALLPOINT_LOOP_BLOCK_BOUND in seconds).
The run fails when it changed a file git tracks (checked only inside a git work tree),
except under CALLPOINT_SCREENSHOTS_DIR, which `make screenshots` sets to docs/img.

Tasks, threads and the default executor threads of a loop that a wider fixture (module or
session scope) set up belong to that fixture, not to the test that happened to set it up
first; its threads must end when it is finalised.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Generator
from pathlib import Path

import pytest

from tests.support.loopwatch import Watching
from tests.support.tracked import TrackedState, tracked_state

# One step may hold a loop for this long. asyncio's own debug warning starts at 0.1 s; the
# suite runs on a shared 2-core machine next to other runs, where a step of honest 0.1 s
# may be descheduled for several times that, so 1 s catches real blocking (a sync sleep, a
# sync HTTP call, a hash in the loop) without failing on a busy machine.
LOOP_BLOCK_BOUND_S = 1.0
# A thread told to stop may need a moment to return from its last wait
# (CALLPOINT_THREAD_GRACE overrides it; the plugin's own tests shorten it).
THREAD_GRACE_S = 2.0


def _seconds(variable: str, default: float) -> float:
    return float(os.environ.get(variable, default))


class Hygiene:
    """The plugin's state across one session."""

    def __init__(self, rootdir: Path) -> None:
        self.watching = Watching(_seconds("CALLPOINT_LOOP_BLOCK_BOUND", LOOP_BLOCK_BOUND_S))
        self.grace_s = _seconds("CALLPOINT_THREAD_GRACE", THREAD_GRACE_S)
        self.rootdir = rootdir
        self.threads_before: set[threading.Thread] = set()
        self.wider_threads: dict[str, set[threading.Thread]] = {}
        self.tracked: TrackedState | None = None

    # -- threads ----------------------------------------------------------------------
    def exempt(self, thread: threading.Thread) -> bool:
        if any(thread in owned for owned in self.wider_threads.values()):
            return True
        return thread.name.startswith(self.watching.executor_prefixes() or ("\0",))

    def new_threads(self, before: set[threading.Thread]) -> list[threading.Thread]:
        deadline = time.monotonic() + self.grace_s
        left = []
        for thread in threading.enumerate():
            if thread in before or self.exempt(thread):
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                left.append(thread)
        return left

    # -- hooks ------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
    ) -> Generator[None, object, object]:
        if fixturedef.scope == "function":
            return (yield)
        name = f"fixture {fixturedef.argname!r} (scope {fixturedef.scope})"
        before = set(threading.enumerate())
        self.watching.owners.fixtures.append(name)
        try:
            return (yield)
        finally:
            self.watching.owners.fixtures.pop()
            self.wider_threads[name] = set(threading.enumerate()) - before

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_post_finalizer(
        self, fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
    ) -> Generator[None, object, object]:
        name = f"fixture {fixturedef.argname!r} (scope {fixturedef.scope})"
        owned = self.wider_threads.pop(name, set())
        try:
            return (yield)
        finally:
            for thread in owned:
                thread.join(self.grace_s)
                if thread.is_alive():
                    self.watching.findings.add(f"thread {thread.name!r} outlived its {name}")

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        self.watching.owners.test = item.nodeid
        self.watching.findings.take()  # anything seen between tests is nobody's
        self.threads_before = set(threading.enumerate())
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, None, None]:
        try:
            result = yield
        finally:
            problems = self.watching.pending_of(item.nodeid)
            problems += self.watching.findings.take()
            problems += [
                f"thread {t.name!r} (target {getattr(t, '_target', None)!r}) was started "
                "by the test and still runs"
                for t in self.new_threads(self.threads_before)
            ]
            self.watching.owners.test = "<between tests>"
        if problems:
            pytest.fail("test hygiene:\n- " + "\n- ".join(problems), pytrace=False)
        return result

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.tracked = tracked_state(self.rootdir)
        self.watching.install()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.watching.uninstall()
        if self.tracked is None:
            return
        changed = self.tracked.changed_since(tracked_state(self.rootdir))
        # `make screenshots` refreshes docs/img on purpose, through this variable.
        allowed = os.environ.get("CALLPOINT_SCREENSHOTS_DIR")
        if allowed:
            top = self.tracked.top
            changed = [
                p
                for p in changed
                if not (top / p).resolve().is_relative_to(Path(allowed).resolve())
            ]
        if changed:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            text = "the run changed files git tracks: " + ", ".join(changed)
            if reporter is not None:
                reporter.write_line(f"test hygiene: {text}", red=True, bold=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("callpoint-hygiene"):
        config.pluginmanager.register(Hygiene(Path(config.rootpath)), "callpoint-hygiene")
