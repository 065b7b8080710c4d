"""The embedded `Store`: SQLite in WAL mode, one group-commit writer, pooled readers.

Writes (engine steps, outbox claims and updates) all go through one writer thread, so
they are serialised without lock contention and many of them share one commit. Reads run
on their own connections in a small thread pool: WAL lets them proceed while the writer
commits, and the event loop never waits on the disk.

`synchronous="NORMAL"` survives a crash of the process (what returned is in the WAL);
`"FULL"` also survives a power loss, at the price of an fsync per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from callpoint.model import Action, ActionKind, ActionState, AuditRecord, Event, Incident
from callpoint.osthread import name_os_thread
from callpoint.store import queries, rows
from callpoint.store.base import (
    ActionUpdate,
    EventQuery,
    Store,
    StoreError,
    Write,
)
from callpoint.store.checkpointer import WRITER_AUTOCHECKPOINT_PAGES, Checkpointer
from callpoint.store.guard import FileGuard, preflight
from callpoint.store.health import StoreHealth
from callpoint.store.idfilter import IdFilter, SeenEvents, capacity_for
from callpoint.store.migrations import migrate
from callpoint.store.rowbatch import RowPart
from callpoint.store.writer import GroupCommitWriter

T = TypeVar("T")

log = logging.getLogger(__name__)

Synchronous = Literal["NORMAL", "FULL"]

# Writes accepted but not yet committed before `write` makes callers wait (backpressure).
DEFAULT_MAX_PENDING_WRITES: Final = 10_000
# How long a connection waits for another process's lock before giving up (ms).
BUSY_TIMEOUT_MS: Final = 5_000
# Upper bound on rows one query returns, whatever the caller asks for.
MAX_QUERY_LIMIT: Final = 10_000
DEFAULT_READERS: Final = 2
# Page cache of the writer (KiB): keeps the id and time indexes hot under sustained load.
WRITER_CACHE_KIB: Final = 32 * 1024
JOURNAL_SIZE_LIMIT_BYTES: Final = 64 * 1024 * 1024
# Database page size for new files (bytes). A commit writes every page it touched to the
# WAL, and one engine step touches ~25 (random ids spread over many index leaves): with
# 2 KiB pages a lone step writes 60 KiB of WAL instead of 104 KiB at the default 4 KiB,
# for the same CPU; 1 KiB would save more bytes but deepen every tree.
PAGE_SIZE: Final = 2048


def _log_load_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("store: event-id filter not built: %s", task.exception())


def _update_params(u: ActionUpdate) -> tuple[object, ...]:
    return (
        u.state.value,
        u.attempts,
        u.last_error,
        rows.opt_dt_to_text(u.finished_at),
        rows.opt_dt_to_text(u.due_at),
        u.action_id,
    )


def _limit(n: int) -> int:
    return max(0, min(n, MAX_QUERY_LIMIT))


class SqliteStore:
    """SQLite implementation of `callpoint.store.Store` (plus seq-aware event reads)."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Synchronous = "NORMAL",
        max_pending_writes: int = DEFAULT_MAX_PENDING_WRITES,
        readers: int = DEFAULT_READERS,
        stall_after_s: float | None = None,  # None: health.COMMIT_STALL_S
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        self.path = Path(path)
        self.synchronous: Synchronous = synchronous
        self._max_pending = max_pending_writes
        self._readers = readers
        self._writer: GroupCommitWriter | None = None
        self._checkpointer: Checkpointer | None = None
        self._health: StoreHealth | None = None
        self._stall_after_s = stall_after_s
        self._pool: ThreadPoolExecutor | None = None
        self._read_conns: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all_read_conns: list[sqlite3.Connection] = []
        self._pending: asyncio.Semaphore | None = None
        self._closed = False
        self.seen_events = SeenEvents()
        """Stored event ids as a filter: most keyed events skip the existence read."""
        self._id_load: asyncio.Task[None] | None = None

    # -- life cycle -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def _configure_writer(self, conn: sqlite3.Connection) -> None:
        # Takes effect only on a new file (before WAL is on); existing files keep theirs.
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: cannot use the WAL journal (got {mode})")
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}")
        # Keep the WAL file from staying huge after a burst.
        conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES}")

    def _open_sync(self) -> None:
        preflight(self.path)  # before SQLite maps a -shm it could not write (SIGBUS)
        opened: list[sqlite3.Connection] = []
        try:
            conn = self._connect()
            opened.append(conn)
            self._configure_writer(conn)
            migrate(conn)
            ckpt = self._connect()
            opened.append(ckpt)
            ckpt.execute(f"PRAGMA synchronous = {self.synchronous}")
            readers = []
            for _ in range(self._readers):
                reader = self._connect()
                opened.append(reader)
                reader.execute("PRAGMA query_only = ON")
                readers.append(reader)
            guard = FileGuard(self.path)
        except (sqlite3.Error, StoreError, OSError) as exc:
            for c in opened:
                c.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{self.path}: {exc}") from exc
        self._writer = GroupCommitWriter(conn, guard=guard.changed)
        self._health = StoreHealth(self._writer, guard, self._stall_after_s)
        self._checkpointer = Checkpointer(ckpt, watch=self._health.watch)
        for reader in readers:
            self._all_read_conns.append(reader)
            self._read_conns.put(reader)

    async def open(self) -> None:
        """Create or migrate the schema, start the writer thread and the readers."""
        await asyncio.to_thread(self._open_sync)
        assert self._writer is not None
        self._writer.start()
        assert self._checkpointer is not None
        self._checkpointer.start()
        self._pool = ThreadPoolExecutor(
            self._readers,
            thread_name_prefix="callpoint-store-read",
            initializer=name_os_thread,
            initargs=("cp-store-read",),
        )
        self._pending = asyncio.Semaphore(self._max_pending)
        self._load_event_ids()

    async def close(self) -> None:
        """Commit every write accepted so far, then release the database."""
        if self._closed:
            return
        self._closed = True
        if self._id_load is not None:
            self._id_load.cancel()
            with contextlib.suppress(asyncio.CancelledError, StoreError):
                await self._id_load
        if self._writer is not None:
            self._writer.hand_over_now()
            await asyncio.to_thread(self._writer.stop)
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)
        if self._pool is not None:
            await asyncio.to_thread(self._pool.shutdown, wait=True)
        for conn in self._all_read_conns:
            conn.close()

    def problem(self) -> str | None:
        """None while the store takes writes; otherwise why not (file deleted or
        replaced, a commit stalled)."""
        return None if self._health is None else self._health.problem()

    # -- plumbing ---------------------------------------------------------------------

    async def _submit(self, op: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed or self._writer is None or self._pending is None:
            raise StoreError("store is not open")
        async with self._pending:
            result: T = await self._writer.submit(op)
            return result

    async def _submit_rows(self, part: RowPart) -> None:
        if self._closed or self._writer is None or self._pending is None:
            raise StoreError("store is not open")
        async with self._pending:
            await self._writer.submit_rows(part)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed or self._pool is None:
            raise StoreError("store is not open")

        def run() -> T:
            conn = self._read_conns.get()
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                raise StoreError(f"read failed: {exc}") from exc
            finally:
                self._read_conns.put(conn)

        return await asyncio.get_running_loop().run_in_executor(self._pool, run)

    # -- writes -----------------------------------------------------------------------

    async def write(self, write: Write) -> None:
        """Commit one engine step atomically; raises DuplicateEventError on a stored id."""
        # Converted here, not in the writer: a bad value fails its own caller at once.
        event = write.event
        part = RowPart(
            event=None if event is None else rows.event_params(event, write.incident_id),
            event_id=None if event is None else event.id,
            incidents=[rows.incident_params(i) for i in write.incidents],
            actions=[rows.action_params(a) for a in write.actions],
            audit=[rows.audit_params(r) for r in write.audit],
        )
        await self._submit_rows(part)
        if write.event is not None:
            self.seen_events.add(write.event.id)
            if self.seen_events.needs_load():  # the filter is full: a bigger one
                self._load_event_ids()

    def _load_event_ids(self) -> None:
        """Build the event-id filter from the table in the background."""
        if self._id_load is not None and not self._id_load.done():
            return
        self.seen_events.loading()

        def fn(conn: sqlite3.Connection) -> IdFilter:
            top = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            loaded = IdFilter(capacity_for(int(top)))
            add = loaded.add
            cur = conn.execute("SELECT id FROM events")
            while rows_ := cur.fetchmany(10_000):
                if self._closed:
                    raise StoreError("store closed while loading event ids")
                for (event_id,) in rows_:
                    add(event_id)
            return loaded

        async def load() -> None:
            try:
                loaded = await self._read(fn)
            except (StoreError, asyncio.CancelledError):
                self.seen_events.load_failed()
                raise
            self.seen_events.installed(loaded)

        self._id_load = asyncio.get_running_loop().create_task(load())
        self._id_load.add_done_callback(_log_load_failure)

    async def claim_due_actions(
        self, now: datetime, kinds: frozenset[ActionKind], limit: int
    ) -> list[Action]:
        """Planned actions of `kinds` due by `now`, most urgent first, marked running."""
        if not kinds or limit <= 0:
            return []
        sql, params = queries.claim_due(now, kinds, _limit(limit))

        def op(conn: sqlite3.Connection) -> list[Action]:
            found = conn.execute(sql, params).fetchall()
            # RETURNING gives no order guarantee; restore the claim order.
            found.sort(key=lambda r: (-r["priority"], r["seq"]))
            return [rows.row_to_action(r) for r in found]

        return await self._submit(op)

    async def update_action(self, update: ActionUpdate) -> None:
        """Record an attempt; `due_at` None keeps the stored due time."""
        await self._submit_rows(RowPart(update=_update_params(update)))

    async def update_actions(self, updates: Sequence[ActionUpdate]) -> list[StoreError | None]:
        """Many `update_action`s submitted together, without a task each; each its own
        result (None: recorded)."""
        if self._closed or self._writer is None:
            raise StoreError("store is not open")
        futures = [self._writer.submit_rows(RowPart(update=_update_params(u))) for u in updates]
        results = await asyncio.gather(*futures, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, StoreError):
                raise r  # not a refusal of one update: the caller's problem
        return [r if isinstance(r, StoreError) else None for r in results]

    async def requeue_running(self) -> int:
        """Actions left running by a crash go back to planned; returns how many."""

        def op(conn: sqlite3.Connection) -> int:
            cur = conn.execute("UPDATE actions SET state = 'planned' WHERE state = 'running'")
            return cur.rowcount

        return await self._submit(op)

    # -- reads ------------------------------------------------------------------------

    async def event_exists(self, event_id: str) -> bool:
        if self.seen_events.surely_new(event_id):
            return False

        def fn(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone()
                is not None
            )

        return await self._read(fn)

    async def event_incident(self, event_id: str) -> str | None:
        """The incident a stored event opened or joined (None if none, or no such event)."""

        def fn(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT incident_id FROM events WHERE id = ?", (event_id,)
            ).fetchone()
            return None if row is None else row[0]

        return await self._read(fn)

    async def events_with_seq(self, query: EventQuery) -> list[tuple[int, Event]]:
        """Like `events`, with each event's seq: the cursor for `before_seq` paging."""
        sql, params = queries.event_search(query, _limit(query.limit))

        def fn(conn: sqlite3.Connection) -> list[tuple[int, Event]]:
            return [(r["seq"], rows.row_to_event(r)) for r in conn.execute(sql, params)]

        return await self._read(fn)

    async def events(self, query: EventQuery) -> list[Event]:
        """Events matching `query`, newest first. `since` (inclusive) and `until` (exclusive)
        apply to `received_at`; `text` matches literally, ASCII case ignored, in id, device,
        location, type and attributes."""
        return [e for _, e in await self.events_with_seq(query)]

    async def events_after(self, after_seq: int, limit: int = 100) -> list[tuple[int, Event]]:
        """Events with seq > `after_seq`, oldest first: resuming a stream after a gap."""

        def fn(conn: sqlite3.Connection) -> list[tuple[int, Event]]:
            cur = conn.execute(
                f"SELECT {rows.EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
                (after_seq, _limit(limit)),
            )
            return [(r["seq"], rows.row_to_event(r)) for r in cur]

        return await self._read(fn)

    async def events_for_incident(self, incident_id: str) -> list[Event]:
        def fn(conn: sqlite3.Connection) -> list[Event]:
            cur = conn.execute(
                f"SELECT {rows.EVENT_COLUMNS} FROM events WHERE incident_id = ? ORDER BY seq",  # noqa: S608
                (incident_id,),
            )
            return [rows.row_to_event(r) for r in cur]

        return await self._read(fn)

    async def incident(self, incident_id: str) -> Incident | None:
        def fn(conn: sqlite3.Connection) -> Incident | None:
            row = conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            return None if row is None else rows.row_to_incident(row)

        return await self._read(fn)

    async def incidents(self, *, active_only: bool = False, limit: int = 100) -> list[Incident]:
        """Incidents, most recently opened first."""
        sql = "SELECT * FROM incidents"
        if active_only:
            sql += " WHERE state IN ('open', 'raised', 'acknowledged')"
        sql += " ORDER BY opened_at DESC, seq DESC LIMIT ?"

        def fn(conn: sqlite3.Connection) -> list[Incident]:
            return [rows.row_to_incident(r) for r in conn.execute(sql, (_limit(limit),))]

        return await self._read(fn)

    async def actions_for_incident(self, incident_id: str) -> list[Action]:
        def fn(conn: sqlite3.Connection) -> list[Action]:
            cur = conn.execute(
                f"SELECT {rows.ACTION_COLUMNS} FROM actions WHERE incident_id = ? ORDER BY seq",  # noqa: S608
                (incident_id,),
            )
            return [rows.row_to_action(r) for r in cur]

        return await self._read(fn)

    async def actions(
        self, *, states: frozenset[ActionState] = frozenset(), limit: int = 100
    ) -> list[Action]:
        values = sorted(s.value for s in states)
        sql = f"SELECT {rows.ACTION_COLUMNS} FROM actions"  # noqa: S608 - constant columns
        if values:
            sql += f" WHERE state IN ({','.join('?' * len(values))})"
        sql += " ORDER BY seq DESC LIMIT ?"
        params = (*values, _limit(limit))

        def fn(conn: sqlite3.Connection) -> list[Action]:
            return [rows.row_to_action(r) for r in conn.execute(sql, params)]

        return await self._read(fn)

    async def audit(self, *, limit: int = 100) -> list[AuditRecord]:
        def fn(conn: sqlite3.Connection) -> list[AuditRecord]:
            cur = conn.execute("SELECT * FROM audit ORDER BY seq DESC LIMIT ?", (_limit(limit),))
            return [rows.row_to_audit(r) for r in cur]

        return await self._read(fn)


if TYPE_CHECKING:  # mypy proves SqliteStore satisfies the Store protocol

    def _is_a_store(s: SqliteStore) -> Store:
        return s
