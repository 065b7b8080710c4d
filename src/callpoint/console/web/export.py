"""The event log as CSV, with the same filters as GET /api/v1/events."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from aiohttp import web

from callpoint.console.api import BadQueryError
from callpoint.ingress.webhook_payload import PayloadError, parse_time
from callpoint.model import Event, EventType
from callpoint.runtime import Runtime
from callpoint.store.base import EventQuery

MAX_CSV_ROWS = 50_000  # one export; a month of a busy site, still a few MB
CSV_COLUMNS = (
    "received_at",
    "device_time",
    "device",
    "location",
    "type",
    "priority",
    "source",
    "suppressed",
    "id",
    "attributes",
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def event_query(request: web.Request, limit: int) -> EventQuery:
    """Filters from the query string: device, location, type (repeatable), since, until, q."""
    types: set[EventType] = set()
    for kind in request.query.getall("type", []):
        try:
            types.add(EventType(kind))
        except ValueError as exc:
            raise BadQueryError(f"unknown event type {kind!r}") from exc
    times: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        raw = request.query.get(name)
        try:
            times[name] = parse_time(raw) if raw else None
        except PayloadError as exc:
            raise BadQueryError(f"{name}: {exc}") from exc
    return EventQuery(
        device_id=request.query.get("device") or None,
        location=request.query.get("location") or None,
        types=frozenset(types),
        since=times["since"],
        until=times["until"],
        text=request.query.get("q") or None,
        limit=limit,
    )


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_row(ev: Event) -> list[str]:
    row = [
        ev.received_at.isoformat(),
        ev.device_time.isoformat(),
        ev.device_id,
        ev.location,
        str(ev.type),
        str(ev.priority),
        str(ev.source),
        "yes" if ev.suppressed else "no",
        ev.id,
        json.dumps(dict(ev.attributes), separators=(",", ":"), sort_keys=True),
    ]
    return [_cell(v) for v in row]


async def events_csv(runtime: Runtime, request: web.Request) -> web.Response:
    """GET /api/v1/events.csv: newest first, at most MAX_CSV_ROWS rows."""
    raw = request.query.get("limit", str(MAX_CSV_ROWS))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_CSV_ROWS:
        raise BadQueryError(f"limit must be 1-{MAX_CSV_ROWS}")
    events = await runtime.store.events(event_query(request, int(raw)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(e) for e in events)
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="callpoint-events.csv"'},
    )
