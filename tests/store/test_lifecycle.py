"""Opening, migrating, refusing, group commit and closing."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from callpoint.store.base import EventQuery, StoreError, Write
from callpoint.store.migrations import APPLICATION_ID, SCHEMA_VERSION, migrate
from callpoint.store.sqlite import SqliteStore, Synchronous
from tests import factories as f


@pytest.mark.asyncio
async def test_new_database_is_migrated_to_current_version_in_wal(tmp_path: Path) -> None:
    path = tmp_path / "db"
    store = SqliteStore(path, synchronous="FULL")
    await store.open()
    await store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "incidents", "actions", "audit"} <= tables
    conn.close()
    # Opening again is a no-op migration and keeps the data.
    again = SqliteStore(path)
    await again.open()
    assert await again.events(EventQuery()) == []
    await again.close()


@pytest.mark.asyncio
async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db"
    store = SqliteStore(path)
    await store.open()
    await store.close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        await SqliteStore(path).open()


@pytest.mark.asyncio
async def test_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE other (x)")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a callpoint database"):
        await SqliteStore(path).open()


def test_bad_synchronous_is_our_misuse(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStore(tmp_path / "db", synchronous="OFF")  # type: ignore[arg-type]  # on purpose


@pytest.mark.asyncio
async def test_200_concurrent_writers_all_commit_in_shared_batches(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db", max_pending_writes=64)
    await store.open()
    events = [f.event(n) for n in range(200)]
    writes = [Write(event=e, actions=[f.action(event_id=e.id)]) for e in events]
    await asyncio.gather(*(store.write(w) for w in writes))
    stored = await store.events(EventQuery(limit=1000))
    assert {e.id for e in stored} == {e.id for e in events}
    assert len(await store.actions(limit=1000)) == 200
    writer = store._writer
    assert writer is not None
    assert writer.operations == 200
    assert writer.batches < 100  # group commit: many writes share one transaction
    await store.close()


@pytest.mark.asyncio
async def test_close_commits_writes_already_accepted(tmp_path: Path) -> None:
    path = tmp_path / "db"
    store = SqliteStore(path)
    await store.open()
    events = [f.event(n) for n in range(50)]
    tasks = [asyncio.create_task(store.write(Write(event=e))) for e in events]
    await asyncio.sleep(0)  # let them enqueue
    await store.close()
    await asyncio.gather(*tasks)
    with pytest.raises(StoreError, match="not open"):
        await store.write(Write(event=f.event()))
    again = SqliteStore(path)
    await again.open()
    assert len(await again.events(EventQuery(limit=100))) == 50
    await again.close()


@pytest.mark.asyncio
async def test_pending_writes_are_bounded(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db", max_pending_writes=1)
    await store.open()
    await asyncio.gather(*(store.write(Write(event=f.event(n))) for n in range(40)))
    writer = store._writer
    assert writer is not None
    # With one write allowed in flight, no two can ever share a transaction.
    assert writer.batches == writer.operations == 40
    await store.close()


@pytest.mark.asyncio
async def test_failed_commit_fails_its_callers_and_the_store_carries_on(
    store: SqliteStore,
) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(StoreError, match="commit failed: disk I/O error"):
        await store._submit(broken)
    ev = f.event()
    await store.write(Write(event=ev))
    assert await store.event_exists(ev.id)


@pytest.mark.asyncio
async def test_checkpoints_run_off_the_commit_path(store: SqliteStore) -> None:
    await asyncio.gather(*(store.write(Write(event=f.event(n))) for n in range(100)))
    ckpt = store._checkpointer
    assert ckpt is not None
    for _ in range(100):
        if ckpt.checkpoints:
            break
        await asyncio.sleep(0.01)
    assert ckpt.checkpoints >= 1
    writer = store._writer
    assert writer is not None and writer.operations == 100


@pytest.mark.asyncio
async def test_slow_disk_never_stalls_the_event_loop(store: SqliteStore) -> None:
    # A commit and a read that each take 0.5 s (a slow fsync, a cold cache) run in their
    # threads; meanwhile the event loop keeps turning.
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.005)
            ticks += 1

    def slow_write(conn: sqlite3.Connection) -> None:
        time.sleep(0.5)

    def slow_read(conn: sqlite3.Connection) -> int:
        time.sleep(0.5)
        return 1

    tick = asyncio.create_task(ticker())
    await asyncio.gather(store._submit(slow_write), store._read(slow_read))
    stop.set()
    await tick
    assert ticks >= 20  # 100 if the machine is idle; 0 if the loop had been blocked


@pytest.mark.asyncio
async def test_writes_waiting_for_room_when_the_store_closes_fail_instead_of_hanging(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "db", max_pending_writes=1)
    await store.open()
    tasks = [asyncio.create_task(store.write(Write(event=f.event(n)))) for n in range(20)]
    await asyncio.sleep(0)
    await store.close()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
    committed = [r for r in results if r is None]
    refused = [r for r in results if isinstance(r, StoreError)]
    assert len(committed) + len(refused) == 20
    assert committed  # the one in flight at close was committed
    again = SqliteStore(tmp_path / "db")
    await again.open()
    assert len(await again.events(EventQuery(limit=100))) == len(committed)
    await again.close()


@pytest.mark.asyncio
async def test_unopenable_path_raises_store_error(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    with pytest.raises(StoreError) as caught:
        await SqliteStore(missing / "db").open()
    assert str(caught.value) == f"{missing}: the database directory does not exist"


@pytest.mark.asyncio
async def test_a_version_1_database_is_migrated_and_keeps_its_incidents(tmp_path: Path) -> None:
    path = tmp_path / "db"
    conn = sqlite3.connect(path)
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO incidents (id, location, device_id, trigger, priority, state, opened_at,"
        " updated_at, consoles, escalation_level, timeline) VALUES ('i1', 'L', 'D', 'sos', 90,"
        " 'open', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', '[]', 0, '[]')"
    )
    conn.commit()
    conn.close()
    store = SqliteStore(path)
    await store.open()
    inc = await store.incident("i1")
    assert inc is not None and inc.live is False and inc.priority == 90
    await store.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3


@pytest.mark.asyncio
async def test_new_database_uses_the_smaller_page_size(store: SqliteStore) -> None:
    from callpoint.store.sqlite import PAGE_SIZE

    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 2048
    conn.close()


@pytest.mark.asyncio
@pytest.mark.parametrize(("mode", "level"), [("NORMAL", 1), ("FULL", 2)])
async def test_synchronous_mode_reaches_the_writer(
    tmp_path: Path, mode: Synchronous, level: int
) -> None:
    store = SqliteStore(tmp_path / "db", synchronous=mode)
    await store.open()

    def synchronous(conn: sqlite3.Connection) -> int:
        return int(conn.execute("PRAGMA synchronous").fetchone()[0])

    assert await store._submit(synchronous) == level
    await store.close()
