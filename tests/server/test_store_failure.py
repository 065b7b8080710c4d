"""A store that fails says so (issue 11, defect 8): posts refused 503 and `/healthz` 503
with the reason when the database is deleted, replaced or stalled under a running
server; `callpoint serve` refuses to start, in one line, on a store it cannot write."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET
from tests.server.conftest import Live
from tests.store.readonly import read_only

pytestmark = pytest.mark.asyncio


async def _healthz(live: Live) -> tuple[int, dict[str, Any]]:
    async with live.http.get(f"{live.url}/healthz") as r:
        return r.status, dict(await r.json())


def _db(live: Live) -> Path:
    return live.server.options.db


async def test_deleted_database_refuses_posts_and_healthz_says_why(live: Live) -> None:
    status, _ = await live.post_event("EXPH-03", "test", event_id="before")
    assert status == 202
    db = _db(live)
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink()
    acknowledged = []
    for i in range(3):
        status, answer = await live.post_event("EXPH-03", "test", event_id=f"after-{i}")
        if status == 202:
            acknowledged.append(answer["event_id"])
        assert (status, answer["error"]) == (503, "store unavailable")
    assert acknowledged == []
    status, body = await _healthz(live)
    assert status == 503
    assert (body["status"], body["store"]) == ("degraded", "failing")
    assert body["store_problem"] == f"{db} was deleted while in use"


async def test_replaced_database_refuses_posts_and_healthz_says_why(live: Live) -> None:
    assert (await live.post_event("EXPH-03", "test", event_id="before"))[0] == 202
    db = _db(live)
    copy = db.with_name("copy.db")
    shutil.copyfile(db, copy)
    copy.replace(db)  # a backup restored over the running database
    status, answer = await live.post_event("EXPH-03", "test", event_id="after")
    assert (status, answer["error"]) == (503, "store unavailable")
    assert answer["detail"] == f"{db} was replaced by another file while in use"
    status, body = await _healthz(live)
    assert (status, body["store_problem"]) == (
        503,
        f"{db} was replaced by another file while in use",
    )


async def test_stalled_commit_turns_healthz_503_within_the_bound_and_back(live: Live) -> None:
    bound = 0.3
    store_health = live.server.store._health
    assert store_health is not None
    store_health.stall_after_s = bound
    blocker = sqlite3.connect(_db(live), isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # as a hung disk would: the commit cannot finish
        post = asyncio.ensure_future(live.post_event("EXPH-03", "test", event_id="stalled"))
        started = time.monotonic()
        status, body = await _healthz(live)
        while status == 200 and time.monotonic() - started < 3.0:
            await asyncio.sleep(0.05)
            status, body = await _healthz(live)
        assert time.monotonic() - started < bound + 0.7
        assert status == 503
        assert body["store_problem"].startswith("a commit has been in flight for ")
        assert body["store_problem"].endswith(f" s (bound {bound} s)")
        assert not post.done()  # nothing acknowledged while it is not stored
        blocker.execute("ROLLBACK")
        assert (await asyncio.wait_for(post, 5))[0] == 202
    finally:
        blocker.close()
    status, body = await _healthz(live)
    assert status == 200 and "store_problem" not in body


async def _serve(tmp_path: Path, db: Path) -> tuple[int, str]:
    config = tmp_path / "site.yaml"
    config.write_text(EXAMPLE_SITE.read_text())
    env = {
        **os.environ,
        "CALLPOINT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CALLPOINT_API_TOKEN": API_TOKEN,
    }
    args = ["serve", "--config", str(config), "--db", str(db), "--listen", "127.0.0.1:0"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callpoint.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 15)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_serve_refuses_a_read_only_directory_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with read_only(data):
        code, err = await _serve(tmp_path, data / "cp.db")
    assert code == 1
    assert err == f"not started: {data}: directory not writable by this process\n"


async def test_serve_refuses_a_read_only_shm_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "cp.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    shm = db.with_name("cp.db-shm")
    shm.touch()  # left behind, or copied in, by another user
    with read_only(shm):
        code, err = await _serve(tmp_path, db)
    assert code == 1  # not -7 (SIGBUS)
    assert err == f"not started: {shm}: not writable by this process (permission denied)\n"
