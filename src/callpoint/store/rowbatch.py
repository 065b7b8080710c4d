"""Row writes that many callers share: few SQL statements for a whole batch.

Python's sqlite3 gives up the GIL around every statement step and must take it back after;
when the event loop is busy, each take-back can wait out the interpreter's switch interval.
An engine step written row by row costs about ten such round trips. Here the rows of all
the parts in a batch go into ONE multi-row statement per table (up to 256 rows; beyond,
one more per 256), however many engine steps the batch carries. So that a few prepared
statements serve every batch size, a statement has a power-of-two number of rows: a batch
of that many uses `INSERT ... VALUES (...), (...)`, the cheapest way in for SQLite (about
4-6 us a row against 10 for executemany here); any other count is padded with NULL rows
that `INSERT ... SELECT * FROM (VALUES ...) WHERE column1 IS NOT NULL` skips (about 40 %
more per row, spent mostly in SQLite with the GIL released). Cutting batches into fixed
chunks instead (256/64/16/4/1) took 17-24 statements per batch at 2,000 events/s, and
batches took three to four times their CPU time waiting for the GIL (bench/README.md).
`json_each` unpacking was tried and costs more for large batches.

If a merged batch is refused (a re-delivered event id, an update of an unknown action),
the writer runs each part again alone, in its own savepoint, so only the offending caller
gets the error (`run_part`).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from callpoint.store import rows
from callpoint.store.base import DuplicateEventError, StoreError

Row = tuple[object, ...]

# UPDATE ... FROM needs SQLite 3.33; older libraries take the row-by-row path.
MERGED_SQL_AVAILABLE: Final = sqlite3.sqlite_version_info >= (3, 33, 0)
# Most rows per statement (256 x 15 columns = 3,840 bound values, under SQLite's limit
# of 32,766); a statement's row count is a power of two up to this.
MAX_ROWS: Final = 256

UPDATE_ACTION: Final = (
    "UPDATE actions SET state = ?, attempts = ?, last_error = ?, finished_at = ?,"
    " due_at = coalesce(?, due_at) WHERE id = ?"
)


@dataclass(slots=True)
class RowPart:
    """What one caller writes: an engine step's rows, or one outbox update."""

    event: Row | None = None
    event_id: str | None = None
    incidents: Sequence[Row] = ()
    actions: Sequence[Row] = ()
    audit: Sequence[Row] = ()
    update: Row | None = None
    """`UPDATE_ACTION` bind values: state, attempts, last_error, finished_at, due_at, id."""


def _split_insert(insert: str) -> tuple[str, int, str]:
    """(head up to VALUES, columns per row, tail such as ON CONFLICT) of one of rows.py's
    `INSERT INTO t (cols) VALUES (?,...) [tail]` statements."""
    head, rest = insert.split(" VALUES ", 1)
    placeholders, _, tail = rest.partition(")")
    return head, placeholders.count("?"), tail


@functools.cache
def _multi_insert(insert: str, n: int) -> str:
    """`insert` for exactly n rows."""
    head, width, tail = _split_insert(insert)
    one = "(" + ",".join("?" * width) + ")"
    return f"{head} VALUES {','.join([one] * n)}{tail}"


@functools.cache
def _padded_insert(insert: str, n: int) -> str:
    """`insert` for up to n rows, the rest NULL rows (an id is never NULL). The WHERE
    also keeps SQLite from reading an upsert's ON CONFLICT as a join constraint."""
    head, width, tail = _split_insert(insert)
    one = "(" + ",".join("?" * width) + ")"
    return (
        f"{head} SELECT * FROM (VALUES {','.join([one] * n)})"  # noqa: S608 - ours
        f" WHERE column1 IS NOT NULL{tail}"
    )


@functools.cache
def _multi_update(n: int) -> str:
    # Starts with UPDATE, not WITH: Python's sqlite3 (3.11) reports rowcount only for
    # statements that begin with a DML keyword, and the count is how a missing action
    # is noticed. Padding rows (all NULL) match no action.
    one = "(" + ",".join("?" * 6) + ")"
    return (
        "UPDATE actions SET state = u.column1, attempts = u.column2,"  # noqa: S608 - ours
        " last_error = u.column3, finished_at = u.column4,"
        " due_at = coalesce(u.column5, actions.due_at)"
        f" FROM (VALUES {','.join([one] * n)}) AS u WHERE actions.id = u.column6"
    )


def _statements(rows_: Sequence[Row]) -> list[tuple[int, int, list[object]]]:
    """(rows given, rows in the statement, flat bound values with padding) per statement."""
    out: list[tuple[int, int, list[object]]] = []
    for start in range(0, len(rows_), MAX_ROWS):
        part = rows_[start : start + MAX_ROWS]
        size = 1 << (len(part) - 1).bit_length()
        flat: list[object] = []
        for r in part:
            flat.extend(r)
        flat.extend([None] * (len(part[0]) * (size - len(part))))
        out.append((len(part), size, flat))
    return out


def _insert_all(conn: sqlite3.Connection, insert: str, rows_: Sequence[Row]) -> None:
    for given, size, flat in _statements(rows_):
        sql = _multi_insert(insert, size) if given == size else _padded_insert(insert, size)
        conn.execute(sql, flat)


class MergedRefusedError(Exception):
    """Something in a merged batch was refused; run its parts one by one to see which."""


def _updates_by_action(updates: list[Row]) -> list[Row]:
    """One update per action, as if applied in order: `UPDATE ... FROM` would apply only
    one arbitrary row of several for the same action. A later update wins, except that a
    missing due time keeps the last one given (the statement's `coalesce`)."""
    last: dict[object, Row] = {}
    for u in updates:
        prev = last.get(u[5])
        if prev is not None and u[4] is None and prev[4] is not None:
            u = (*u[:4], prev[4], u[5])
        last[u[5]] = u
    return list(last.values())


def run_merged(conn: sqlite3.Connection, parts: Sequence[RowPart]) -> None:
    """Write every part's rows with a few statements per table (inside the writer's open
    transaction). Raises MergedRefusedError if any row is refused; the transaction may
    then hold some of the rows, so the writer rolls it back."""
    events: list[Row] = []
    incidents: list[Row] = []
    actions: list[Row] = []
    audit: list[Row] = []
    updates: list[Row] = []
    for p in parts:
        if p.event is not None:
            events.append(p.event)
        incidents.extend(p.incidents)
        actions.extend(p.actions)
        audit.extend(p.audit)
        if p.update is not None:
            updates.append(p.update)
    try:
        _insert_all(conn, rows.INSERT_EVENT, events)
        # Each incident row is a whole snapshot: the last one per incident is what two
        # upserts in order would leave.
        latest = list({row[0]: row for row in incidents}.values())
        _insert_all(conn, rows.UPSERT_INCIDENT, latest)
        _insert_all(conn, rows.INSERT_ACTION, actions)
        _insert_all(conn, rows.INSERT_AUDIT, audit)
        if updates:
            distinct = _updates_by_action(updates)
            changed = 0
            for _, size, flat in _statements(distinct):
                changed += conn.execute(_multi_update(size), flat).rowcount
            if changed != len(distinct):
                raise MergedRefusedError("an update names an unknown action")
    except sqlite3.OperationalError:
        raise  # disk full, I/O error: the whole batch fails, as it would row by row
    except (sqlite3.Error, ValueError) as exc:  # a refused row, a string SQLite cannot take
        raise MergedRefusedError(str(exc)) from exc


def run_part(conn: sqlite3.Connection, part: RowPart) -> None:
    """Write one part row by row; its own errors: DuplicateEventError, StoreError."""
    if part.event is not None:
        try:
            conn.execute(rows.INSERT_EVENT, part.event)
        except sqlite3.IntegrityError as exc:
            if "events.id" not in str(exc):  # e.g. a NOT NULL: not a re-delivery
                raise
            raise DuplicateEventError(part.event_id or str(part.event[0])) from exc
    if part.incidents:
        conn.executemany(rows.UPSERT_INCIDENT, part.incidents)
    if part.actions:
        conn.executemany(rows.INSERT_ACTION, part.actions)
    if part.audit:
        conn.executemany(rows.INSERT_AUDIT, part.audit)
    if part.update is not None:
        cur = conn.execute(UPDATE_ACTION, part.update)
        if cur.rowcount == 0:
            raise StoreError(f"no action {part.update[5]}")


__all__ = [
    "MERGED_SQL_AVAILABLE",
    "MergedRefusedError",
    "RowPart",
    "run_merged",
    "run_part",
]
