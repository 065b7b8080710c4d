"""One writer thread with group commit.

Callers on the event loop hand over an operation (a function of the connection) with a
Future. The thread takes everything queued, runs it in ONE transaction (each operation in
its own savepoint, so one refused operation does not sink its neighbours), commits once,
and only then resolves the futures. One fsync (or WAL append) covers the whole batch,
which is what makes thousands of durable writes per second possible.

Row writes (`submit_rows`) of neighbouring callers are merged into one statement per table
(`rowbatch`), and everything submitted in one turn of the event loop is handed to the
thread in one piece, so a busy loop and the writer trade the GIL and wake-ups per batch,
not per row.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from callpoint.loops import running_loop
from callpoint.osthread import name_os_thread
from callpoint.store.base import StoreError
from callpoint.store.rowbatch import (
    MERGED_SQL_AVAILABLE,
    MergedRefusedError,
    RowPart,
    run_merged,
    run_part,
)

log = logging.getLogger(__name__)

# Largest number of operations in one transaction: bounds how long the write lock is held
# and how long the first caller of a batch waits for the last one.
MAX_BATCH_OPS: Final = 1000

# Jobs gathered in one loop turn before they are handed over anyway.
HAND_OVER_JOBS: Final = 64

Operation = Callable[[sqlite3.Connection], Any]
# Checks that the database is still the file opened: None, or what went wrong.
Guard = Callable[[], str | None]


@dataclass(slots=True)
class _Job:
    op: Operation | None
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    part: RowPart | None = None


_STOP: Final = object()


_Result = tuple[asyncio.Future[Any], object, BaseException | None]


def _settle(results: list[_Result]) -> None:
    """Runs on the event loop: hand each caller its result or error."""
    for future, value, error in results:
        if future.done():  # the caller gave up (cancelled); the write still happened
            continue
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)


def _run_part(conn: sqlite3.Connection, part: RowPart | None) -> None:
    assert part is not None
    run_part(conn, part)


class _RefusedError(Exception):
    """An operation of an unisolated batch failed; the batch must be run isolated."""


def _as_store_error(exc: Exception) -> StoreError:
    if isinstance(exc, StoreError):
        return exc
    error = StoreError(str(exc))
    error.__cause__ = exc
    return error


class GroupCommitWriter:
    """Owns the write connection and the thread that uses it."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        name: str = "callpoint-store-writer",
        *,
        guard: Guard | None = None,
    ) -> None:
        self._conn = conn
        self._guard = guard
        self.down: str | None = None
        """Why the store refuses every write for good (its file was deleted or replaced)."""
        # When the batch being committed was started (time.monotonic()), None between.
        self._in_flight_since: float | None = None
        self._queue: queue.SimpleQueue[list[_Job] | object] = queue.SimpleQueue()
        # Jobs submitted during this turn of the event loop, handed over together.
        self._outgoing: list[_Job] = []
        self._outgoing_loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        # Guards `_stopping` so that no job is queued behind the stop marker (it would
        # never be run, and its caller would wait forever).
        self._lock = threading.Lock()
        self._stopping = False
        self.batches = 0
        self.operations = 0
        self.isolated_batches = 0
        """Batches run again one operation at a time because something in them was refused."""

    def start(self) -> None:
        self._thread.start()

    def in_flight_s(self) -> float | None:
        """How long the batch being committed has been at it (None: none is)."""
        since = self._in_flight_since
        return None if since is None else time.monotonic() - since

    def fail(self, why: str) -> None:
        """Refuse every write from now on, saying `why` (logged once)."""
        if self.down is None:
            self.down = why
            log.error("store down, refusing every write until restarted: %s", why)

    def submit(self, op: Operation) -> asyncio.Future[Any]:
        """Queue `op`; the returned future resolves after its transaction committed."""
        return self._add(op, None)

    def submit_rows(self, part: RowPart) -> asyncio.Future[None]:
        """Queue rows to write; merged with neighbouring parts into one statement per
        table. The future resolves after the commit, or fails with this part's own error
        (DuplicateEventError, StoreError) if it was refused."""
        return self._add(None, part)

    def _add(self, op: Operation | None, part: RowPart | None) -> asyncio.Future[Any]:
        loop = running_loop()
        if self._stopping:
            raise StoreError("store is closing")
        if self.down is not None:
            raise StoreError(self.down)
        future: asyncio.Future[Any] = loop.create_future()
        job = _Job(op, future, loop, part)
        if self._outgoing_loop is None:
            self._outgoing_loop = loop
            loop.call_soon(self._end_of_turn)
        elif self._outgoing_loop is not loop:  # another loop (tests): no batching for it
            self._put([job])
            return future
        self._outgoing.append(job)
        if len(self._outgoing) >= HAND_OVER_JOBS:
            self._hand_over()  # a long turn feeds the writer in pieces: it need not idle
        return future

    def _end_of_turn(self) -> None:
        self._outgoing_loop = None
        self._hand_over()

    def _hand_over(self) -> None:
        """One queue item for the jobs gathered so far in this loop turn."""
        if not self._outgoing:
            return
        jobs, self._outgoing = self._outgoing, []
        try:
            self._put(jobs)
        except StoreError as exc:
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(exc)

    def hand_over_now(self) -> None:
        """Queue this loop turn's jobs at once (before `stop`, so they are committed)."""
        self._hand_over()

    def _put(self, jobs: list[_Job]) -> None:
        with self._lock:
            if self._stopping:
                raise StoreError("store is closing")
            self._queue.put(jobs)

    def stop(self) -> None:
        """Commit everything queued so far, then end the thread (blocking)."""
        with self._lock:
            self._stopping = True
            self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        name_os_thread("cp-store-writer")
        stopping = False
        while not stopping:
            first = self._queue.get()
            batch: list[_Job] = []
            if first is _STOP:
                stopping = True
            else:
                assert isinstance(first, list)
                batch.extend(first)
            while len(batch) < MAX_BATCH_OPS:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                assert isinstance(item, list)
                batch.extend(item)
            if batch:
                self._in_flight_since = time.monotonic()
                try:
                    self._commit(batch)
                except Exception as exc:  # supervisor: the writer thread must not die
                    log.exception("store writer: unexpected error in a batch")
                    if self._conn.in_transaction:
                        self._conn.rollback()
                    failure = StoreError(f"internal store error: {exc}")
                    self._deliver(batch, [(job.future, None, failure) for job in batch])
                self._in_flight_since = None
        self._conn.close()

    def _check_files(self) -> str | None:
        why = None if self._guard is None else self._guard()
        if why is not None:
            self.fail(why)
        return why

    def _commit(self, batch: list[_Job]) -> None:
        conn = self._conn
        if self.down is not None:  # queued before the store went down
            failure = StoreError(self.down)
            self._deliver(batch, [(job.future, None, failure) for job in batch])
            return
        try:
            try:
                results = self._run_batch(batch, isolate=False)
            except _RefusedError:
                # Some operation was refused. Savepoints cost a third of the throughput,
                # so only now run the batch again with one per operation.
                self.isolated_batches += 1
                conn.execute("ROLLBACK")
                results = self._run_batch(batch, isolate=True)
            # The files are checked on both sides of COMMIT: before, so that nothing goes
            # into a WAL that is no longer the database's; after, so that nothing committed
            # into an unlinked file is acknowledged (it is gone at the next start).
            if (why := self._check_files()) is None:
                conn.execute("COMMIT")
                why = self._check_files()
            else:
                conn.execute("ROLLBACK")
            if why is not None:
                results = [(job.future, None, StoreError(why)) for job in batch]
        except sqlite3.Error as exc:
            # Disk full, I/O error, database locked for too long: nothing was committed.
            log.error(  # noqa: TRY400 - the cause is in the message; no trace needed
                "store commit of %d operations failed: %s", len(batch), exc
            )
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.exception("store rollback failed")
            failure = StoreError(f"commit failed: {exc}")
            failure.__cause__ = exc
            results = [(job.future, None, failure) for job in batch]
        self.batches += 1
        self.operations += len(batch)
        self._deliver(batch, results)

    @staticmethod
    def _deliver(batch: list[_Job], results: list[_Result]) -> None:
        """Hand results to each caller's event loop, one call per loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Result]] = {}
        for job, result in zip(batch, results, strict=True):
            by_loop.setdefault(job.loop, []).append(result)
        for loop, loop_results in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, loop_results)
            except RuntimeError:  # that loop is closed; nobody is waiting any more
                log.debug("store: loop closed before %d results", len(loop_results))

    def _run_merged(self, batch: list[_Job]) -> list[_Result]:
        """The batch without savepoints, runs of row parts merged; any refusal raises
        _RefusedError (the caller rolls back and runs the batch isolated)."""
        conn = self._conn
        results: list[_Result] = []
        run: list[_Job] = []
        for job in [*batch, None]:
            if job is not None and job.op is None:
                run.append(job)
                continue
            if run:
                try:
                    run_merged(conn, [j.part for j in run if j.part is not None])
                except MergedRefusedError as exc:
                    raise _RefusedError from exc
                except sqlite3.OperationalError:
                    raise
                results.extend((j.future, None, None) for j in run)
                run = []
            if job is None:
                break
            assert job.op is not None
            try:
                value = job.op(conn)
            except sqlite3.OperationalError:
                raise  # disk full, I/O error: the whole batch fails
            except Exception as exc:
                raise _RefusedError from exc
            results.append((job.future, value, None))
        return results

    def _run_batch(self, batch: list[_Job], *, isolate: bool) -> list[_Result]:
        """Run every operation in one open transaction; with `isolate`, each in a savepoint
        so a refused one is undone alone. Without it, the first refusal raises _RefusedError,
        and neighbouring row parts are merged into one statement per table."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        if not isolate and MERGED_SQL_AVAILABLE:
            return self._run_merged(batch)
        results: list[_Result] = []
        for job in batch:
            if isolate:
                conn.execute("SAVEPOINT op")
            try:
                if job.op is not None:
                    value = job.op(conn)
                else:
                    _run_part(conn, job.part)
                    value = None
            except sqlite3.OperationalError:
                raise  # disk full, I/O error: the whole batch fails
            except Exception as exc:  # the writer must outlive any one bad operation
                if not isolate:
                    raise _RefusedError from exc
                # Refused on its own merits (duplicate id, bad value): undo just this one.
                conn.execute("ROLLBACK TO op")
                conn.execute("RELEASE op")
                results.append((job.future, None, _as_store_error(exc)))
                continue
            if isolate:
                conn.execute("RELEASE op")
            results.append((job.future, value, None))
        return results
