"""The store fails loudly: a file deleted or replaced under it, a stalled commit, and a
database that cannot take a write at open (issue 11, defect 8)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from callpoint.store.base import EventQuery, StoreError, Write
from callpoint.store.guard import MIB, StoreOpenError, preflight
from callpoint.store.sqlite import SqliteStore
from tests import factories as f
from tests.store.readonly import read_only


def _side(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


async def _write_one(store: SqliteStore, event_id: str) -> None:
    await store.write(Write(event=f.event(id=event_id)))


@pytest.mark.asyncio
async def test_a_deleted_database_refuses_the_next_write_and_says_why(tmp_path: Path) -> None:
    db = tmp_path / "cp.db"
    store = SqliteStore(db)
    await store.open()
    try:
        await _write_one(store, "before")
        assert store.problem() is None
        for suffix in ("", "-wal", "-shm"):
            _side(db, suffix).unlink()
        with pytest.raises(StoreError, match=f"^{db} was deleted while in use$"):
            await _write_one(store, "after")
        assert store.problem() == f"{db} was deleted while in use"
        with pytest.raises(StoreError, match="was deleted"):  # refused at once from now on
            await _write_one(store, "later")
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_replaced_database_acknowledges_nothing_more(tmp_path: Path) -> None:
    db = tmp_path / "cp.db"
    other = tmp_path / "other.db"
    store = SqliteStore(db)
    await store.open()
    try:
        await _write_one(store, "before")
        shutil.copyfile(db, other)
        other.replace(db)
        with pytest.raises(StoreError, match=f"^{db} was replaced by another file while in use$"):
            await _write_one(store, "after")
    finally:
        await store.close()
    reopened = SqliteStore(db)
    await reopened.open()
    try:
        ids = {e.id for e in await reopened.events(EventQuery())}
        assert "after" not in ids
    finally:
        await reopened.close()


@pytest.mark.asyncio
async def test_a_file_deleted_while_idle_is_noticed_without_a_write(tmp_path: Path) -> None:
    db = tmp_path / "cp.db"
    store = SqliteStore(db)
    await store.open()
    try:
        _side(db, "-wal").unlink()
        deadline = time.monotonic() + 2.0  # the checkpointer looks four times a second
        while store.problem() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        # SQLite may make a new -wal at the path before we look: deleted, or replaced.
        assert store.problem() in {
            f"{_side(db, '-wal')} was deleted while in use",
            f"{_side(db, '-wal')} was replaced by another file while in use",
        }
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_a_stalled_commit_is_a_problem_within_the_bound_and_clears(tmp_path: Path) -> None:
    db = tmp_path / "cp.db"
    store = SqliteStore(db, stall_after_s=0.3)
    await store.open()
    blocker = sqlite3.connect(db, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # the writer's BEGIN waits for this lock
        write = asyncio.ensure_future(_write_one(store, "stalled"))
        started = time.monotonic()
        while store.problem() is None and time.monotonic() - started < 3.0:
            await asyncio.sleep(0.05)
        problem = store.problem()
        assert problem is not None and problem.startswith("a commit has been in flight for ")
        assert problem.endswith(" s (bound 0.3 s)")
        assert time.monotonic() - started < 1.0
        blocker.execute("ROLLBACK")
        await asyncio.wait_for(write, 5)
        assert store.problem() is None
    finally:
        blocker.close()
        await store.close()


@pytest.mark.asyncio
async def test_open_refuses_a_read_only_directory(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    with read_only(directory), pytest.raises(StoreOpenError) as caught:
        await SqliteStore(directory / "cp.db").open()
    assert str(caught.value) == f"{directory}: directory not writable by this process"


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.asyncio
async def test_open_refuses_a_read_only_database_file(tmp_path: Path, suffix: str) -> None:
    db = tmp_path / "cp.db"
    store = SqliteStore(db)
    await store.open()
    await store.close()
    target = _side(db, suffix)
    target.touch()  # a -wal or -shm left behind by a crash, or copied in by hand
    with read_only(target), pytest.raises(StoreOpenError) as caught:
        await SqliteStore(db).open()
    assert str(caught.value) == f"{target}: not writable by this process (permission denied)"


def test_preflight_refuses_a_disk_without_room(tmp_path: Path) -> None:
    need = 1 << 60
    with pytest.raises(StoreOpenError) as caught:
        preflight(tmp_path / "cp.db", min_free_bytes=need)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}: no space: ")
    assert message.endswith(f" MiB free, the store needs {need // MIB} MiB")
    assert list(tmp_path.iterdir()) == []  # the test write left nothing behind


def test_preflight_refuses_a_database_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "cp.db").mkdir()
    with pytest.raises(StoreOpenError, match=f"^{tmp_path / 'cp.db'}: not a regular file$"):
        preflight(tmp_path / "cp.db")
