"""SQL built from a request: only constants and "?" marks are ever interpolated."""

from __future__ import annotations

from datetime import datetime

from callpoint.model import ActionKind
from callpoint.store import rows
from callpoint.store.base import EventQuery


def event_search(query: EventQuery, limit: int) -> tuple[str, list[object]]:
    """The statement and parameters for an event log query, newest first."""
    where: list[str] = []
    params: list[object] = []
    if query.device_id is not None:
        where.append("device_id = ?")
        params.append(query.device_id)
    if query.location is not None:
        where.append("location = ?")
        params.append(query.location)
    if query.types:
        types = sorted(t.value for t in query.types)
        where.append(f"type IN ({','.join('?' * len(types))})")
        params.extend(types)
    if query.since is not None:
        where.append("received_at >= ?")
        params.append(rows.dt_to_text(query.since))
    if query.until is not None:
        where.append("received_at < ?")
        params.append(rows.dt_to_text(query.until))
    if query.text:
        # instr, not LIKE: the operator's text is matched literally, no wildcards.
        where.append(
            "instr(lower(id || ' ' || device_id || ' ' || location || ' ' || type"
            " || ' ' || attributes), lower(?)) > 0"
        )
        params.append(query.text)
    if query.before_seq is not None:
        where.append("seq < ?")
        params.append(query.before_seq)
    sql = f"SELECT {rows.EVENT_COLUMNS} FROM events"  # noqa: S608 - constant columns
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT ?"
    params.append(limit)
    return sql, params


def claim_due(
    now: datetime, kinds: frozenset[ActionKind], limit: int
) -> tuple[str, tuple[object, ...]]:
    """Mark planned actions of `kinds` due by `now` running, and return them."""
    kind_values = sorted(k.value for k in kinds)
    marks = ",".join("?" * len(kind_values))
    # Only constants and "?" marks are interpolated into this statement. INDEXED BY:
    # actions of kinds without an executor stay planned and pile up; the partial
    # index by kind keeps them out of every claim's scan.
    sql = (
        "UPDATE actions SET state = 'running' WHERE seq IN (SELECT seq FROM actions"  # noqa: S608
        " INDEXED BY actions_planned"
        f" WHERE state = 'planned' AND kind IN ({marks})"
        " AND (due_at IS NULL OR due_at <= ?) ORDER BY priority DESC, seq LIMIT ?)"
        f" RETURNING seq, {rows.ACTION_COLUMNS}"
    )
    params = (*kind_values, rows.dt_to_text(now), limit)
    return sql, params
