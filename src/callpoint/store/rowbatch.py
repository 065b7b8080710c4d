"""Row writes that many callers share: one SQL statement per table for a whole batch.

Python's sqlite3 gives up the GIL around every statement step and must take it back after;
when the event loop is busy, each take-back can wait out the interpreter's switch interval.
An engine step written row by row costs about ten such round trips; a batch written here
costs one per table, however many steps it carries: the rows travel as one JSON array
and SQLite unpacks it with `json_each`.

If a merged batch is refused (a re-delivered event id, an update of an unknown action),
the writer runs each part again alone, in its own savepoint, so only the offending caller
gets the error (`run_part`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import orjson

from callpoint.store import rows
from callpoint.store.base import DuplicateEventError, StoreError

Row = tuple[object, ...]

# `->>` (SQLite 3.38) returns SQL values: JSON strings as TEXT, integers as INTEGER, null
# as NULL. Older libraries take the row-by-row path.
MERGED_SQL_AVAILABLE: Final = sqlite3.sqlite_version_info >= (3, 38, 0)

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


def _columns(insert: str) -> tuple[str, str]:
    """(table, column list) of one of rows.py's `INSERT INTO t (cols) VALUES` statements."""
    head = insert.split(" VALUES", 1)[0]
    table, cols = head.removeprefix("INSERT INTO ").split(" (", 1)
    return table, cols.rstrip(")")


def _from_json(insert: str, tail: str = "") -> str:
    table, cols = _columns(insert)
    n = cols.count(",") + 1
    picks = ", ".join(f"value->>{i}" for i in range(n))
    # "WHERE true" keeps an upsert's ON CONFLICT from being read as a join constraint.
    return f"INSERT INTO {table} ({cols}) SELECT {picks} FROM json_each(?) WHERE true{tail}"  # noqa: S608 - our constants


MERGED_EVENTS: Final = _from_json(rows.INSERT_EVENT)
MERGED_INCIDENTS: Final = _from_json(
    rows.UPSERT_INCIDENT.split(" ON CONFLICT", 1)[0],
    " ON CONFLICT" + rows.UPSERT_INCIDENT.split(" ON CONFLICT", 1)[1],
)
MERGED_ACTIONS: Final = _from_json(rows.INSERT_ACTION)
MERGED_AUDIT: Final = _from_json(rows.INSERT_AUDIT)
MERGED_UPDATES: Final = (
    "UPDATE actions SET state = u.value->>0, attempts = u.value->>1, last_error = u.value->>2,"
    " finished_at = u.value->>3, due_at = coalesce(u.value->>4, actions.due_at)"
    " FROM json_each(?) AS u WHERE actions.id = u.value->>5"
)


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
    """Write every part's rows with one statement per table (inside the writer's open
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
        return _run_merged(conn, events, incidents, actions, audit, updates)
    except orjson.JSONEncodeError as exc:  # e.g. a lone surrogate: the row path decides
        raise MergedRefusedError(str(exc)) from exc
    except sqlite3.IntegrityError as exc:
        raise MergedRefusedError(str(exc)) from exc


def _dumps(rows_: list[Row]) -> bytes:
    data = orjson.dumps(rows_)
    if b"\\u0000" in data:
        # SQLite's JSON functions end a string at NUL; such rows take the row path.
        raise MergedRefusedError("a value holds NUL")
    return data


def _run_merged(
    conn: sqlite3.Connection,
    events: list[Row],
    incidents: list[Row],
    actions: list[Row],
    audit: list[Row],
    updates: list[Row],
) -> None:
    dumps = _dumps
    if events:
        conn.execute(MERGED_EVENTS, (dumps(events),))
    if incidents:
        conn.execute(MERGED_INCIDENTS, (dumps(incidents),))
    if actions:
        conn.execute(MERGED_ACTIONS, (dumps(actions),))
    if audit:
        conn.execute(MERGED_AUDIT, (dumps(audit),))
    if updates:
        distinct = _updates_by_action(updates)
        cur = conn.execute(MERGED_UPDATES, (dumps(distinct),))
        if cur.rowcount != len(distinct):
            raise MergedRefusedError("an update names an unknown action")


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
