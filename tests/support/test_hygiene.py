"""The hygiene plugin fails tests that leak tasks or threads or block the loop; clean ones pass.

One pytest subprocess runs a small suite of offenders and clean tests in a git work tree of
its own; each test here checks one outcome of that run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.tracked import tracked_state

ROOT = Path(__file__).resolve().parents[2]

INNER = """
import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvloop


@pytest.mark.asyncio
async def test_leaks_a_task() -> None:
    asyncio.create_task(asyncio.Event().wait(), name="left-behind")


@pytest.mark.asyncio
async def test_awaits_what_it_cancels() -> None:
    task = asyncio.create_task(asyncio.sleep(30))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def test_leaks_a_task_under_uvloop() -> None:
    async def main() -> None:
        asyncio.create_task(asyncio.Event().wait(), name="left-on-uvloop")

    uvloop.run(main())


def test_leaks_a_thread() -> None:
    stop = threading.Event()
    threading.Thread(target=stop.wait, args=(30,), name="left-running", daemon=True).start()


def test_joins_its_thread() -> None:
    thread = threading.Thread(target=time.sleep, args=(0.05,), name="joined")
    thread.start()
    thread.join()


@pytest.mark.asyncio
async def test_blocks_the_loop() -> None:
    time.sleep(2)


def test_blocks_uvloop() -> None:
    async def main() -> None:
        time.sleep(1.5)

    uvloop.run(main())


@pytest.mark.asyncio
async def test_waits_without_blocking() -> None:
    await asyncio.sleep(0.8)
    await asyncio.to_thread(time.sleep, 0.8)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def background() -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(asyncio.Event().wait(), name="module-background")
    yield task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.mark.asyncio(loop_scope="module")
async def test_uses_a_module_fixture(background: asyncio.Task[None]) -> None:
    await asyncio.to_thread(time.sleep, 0.01)  # the module loop's executor thread stays
    assert not background.done()


def test_writes_a_tracked_file() -> None:
    Path("tracked.txt").write_text("changed by a test\\n")
"""


@dataclass
class Run:
    outcomes: dict[str, set[str]]
    output: str
    returncode: int

    def section(self, test: str) -> str:
        """The teardown error report of `test`."""
        match = re.search(
            rf"_+ ERROR at teardown of {test} _+\n(.*?)(?=\n_{{3,}} |\n=+ )", self.output, re.S
        )
        assert match is not None, self.output
        return match.group(1)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    where = tmp_path_factory.mktemp("inner")
    (where / "test_inner.py").write_text(INNER)
    (where / "conftest.py").write_text('pytest_plugins = ["tests.support.hygiene"]\n')
    (where / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    (where / "tracked.txt").write_text("as committed\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for args in (["init", "-q"], ["add", "tracked.txt"], ["commit", "-q", "-m", "one"]):
        subprocess.run([*git, *args], cwd=where, check=True, capture_output=True, timeout=30)
    env = os.environ | {
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "CALLPOINT_LOOP_BLOCK_BOUND": "0.5",
        "CALLPOINT_THREAD_GRACE": "0.2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outcomes: dict[str, set[str]] = defaultdict(set)
    for line in done.stdout.splitlines():
        found = re.match(r"(PASSED|FAILED|ERROR) test_inner\.py::(\w+)", line)
        if found:
            outcomes[found.group(2)].add(found.group(1))
    return Run(dict(outcomes), done.stdout + done.stderr, done.returncode)


CLEAN = [
    "test_awaits_what_it_cancels",
    "test_joins_its_thread",
    "test_waits_without_blocking",
    "test_uses_a_module_fixture",
    "test_writes_a_tracked_file",
]


@pytest.mark.parametrize("test", CLEAN)
def test_a_clean_test_passes(run: Run, test: str) -> None:
    assert run.outcomes.get(test) == {"PASSED"}, run.output


def test_a_leaked_task_fails_its_test_naming_the_task(run: Run) -> None:
    assert run.outcomes["test_leaks_a_task"] == {"PASSED", "ERROR"}
    report = run.section("test_leaks_a_task")
    assert "task 'left-behind' running Event.wait" in report
    assert "pending when its loop closed" in report


def test_a_task_leaked_under_uvloop_fails_its_test(run: Run) -> None:
    assert run.outcomes["test_leaks_a_task_under_uvloop"] == {"PASSED", "ERROR"}
    assert "task 'left-on-uvloop'" in run.section("test_leaks_a_task_under_uvloop")


def test_a_leaked_thread_fails_its_test_naming_the_thread(run: Run) -> None:
    assert run.outcomes["test_leaks_a_thread"] == {"PASSED", "ERROR"}
    assert "thread 'left-running'" in run.section("test_leaks_a_thread")


def test_blocking_the_loop_fails_the_test_with_the_blocking_stack(run: Run) -> None:
    assert run.outcomes["test_blocks_the_loop"] == {"PASSED", "ERROR"}
    report = run.section("test_blocks_the_loop")
    assert "held the event loop" in report
    assert "time.sleep(2)" in report  # the stack shows the line that held it


def test_blocking_uvloop_fails_the_test(run: Run) -> None:
    assert run.outcomes["test_blocks_uvloop"] == {"PASSED", "ERROR"}
    assert "time.sleep(1.5)" in run.section("test_blocks_uvloop")


def test_changing_a_tracked_file_fails_the_run(run: Run) -> None:
    assert "the run changed files git tracks: tracked.txt" in run.output
    assert run.returncode == 1


def test_tracked_state_is_none_outside_git(tmp_path: Path) -> None:
    assert tracked_state(tmp_path) is None


def test_tracked_state_sees_a_file_rewritten_that_was_already_changed(tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    (tmp_path / "a.txt").write_text("one\n")
    for args in (["init", "-q"], ["add", "a.txt"], ["commit", "-q", "-m", "one"]):
        subprocess.run([*git, *args], cwd=tmp_path, check=True, capture_output=True, timeout=30)
    (tmp_path / "a.txt").write_text("two\n")
    before = tracked_state(tmp_path)
    assert before is not None
    assert before.changed_since(tracked_state(tmp_path)) == []
    (tmp_path / "a.txt").write_text("three\n")
    assert before.changed_since(tracked_state(tmp_path)) == ["a.txt"]
