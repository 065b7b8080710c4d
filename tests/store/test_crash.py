"""Durability: everything `write` acknowledged survives a kill -9 of the writer process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from callpoint.store.base import EventQuery
from callpoint.store.sqlite import SqliteStore

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("synchronous", ["NORMAL", "FULL"])
async def test_acknowledged_writes_survive_kill_9(tmp_path: Path, synchronous: str) -> None:
    path = tmp_path / "db"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store._crash_writer", str(path), synchronous],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    assert child.stdout is not None
    acked: list[str] = []
    try:
        # Read acknowledgements until plenty have arrived, then kill mid-stream.
        while len(acked) < 3000:
            line = await asyncio.to_thread(child.stdout.readline)
            assert line, "writer child exited early"
            acked.append(line.decode().strip())
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    # Acknowledgements still in the pipe were also committed before being printed.
    acked.extend(line.decode().strip() for line in child.stdout if line.endswith(b"\n"))
    child.stdout.close()

    store = SqliteStore(path)
    await store.open()
    stored = {e.id for e in await store.events(EventQuery(limit=10_000))}
    actions = await store.actions(limit=10_000)
    await store.close()
    assert set(acked) <= stored
    # Event and its action were one transaction: never one without the other.
    assert {a.event_id for a in actions} == stored
