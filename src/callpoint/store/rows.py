"""Conversion between model values and SQLite rows.

Datetimes are ISO-8601 UTC text with microseconds and a `Z`, fixed width, so that text
order is time order and indexes on them work for ranges. Mappings, timelines and action
payloads (store/payload_codec.py) are JSON.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

from callpoint.jsonfast import dumps_sorted
from callpoint.model import (
    Action,
    ActionKind,
    ActionState,
    AttrValue,
    AuditRecord,
    Event,
    EventType,
    Incident,
    IncidentState,
    Source,
    TimelineEntry,
)
from callpoint.store.payload_codec import payload_from_text, payload_to_text

_DT_TEXT: dict[datetime, str] = {}
"""Recently formatted times: one engine step stamps its event, incident, timeline entries
and actions with the same few instants, formatted once here instead of ~15 times."""
_DT_TEXT_MAX: Final = 4096


def dt_to_text(value: datetime) -> str:
    """An aware datetime as fixed-width UTC text; naive datetimes are our misuse."""
    # Aware times equal as instants give the same text; a naive one never equals an aware
    # one, so it always reaches the check below.
    text = _DT_TEXT.get(value)
    if text is None:
        text = _format_dt(value)
        if len(_DT_TEXT) >= _DT_TEXT_MAX:
            _DT_TEXT.clear()
        _DT_TEXT[value] = text
    return text


def _format_dt(value: datetime) -> str:
    if value.tzinfo is UTC:  # the common case, from our own clock: no conversion needed
        return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the store keeps aware (UTC) times only")
    # isoformat pads the year to four digits, unlike strftime("%Y") for years < 1000.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def opt_dt_to_text(value: datetime | None) -> str | None:
    return None if value is None else dt_to_text(value)


def text_to_dt(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)


def opt_text_to_dt(text: str | None) -> datetime | None:
    return None if text is None else text_to_dt(text)


# Sorted keys keep the stored text stable; real UTF-8 (not \u escapes) lets the event
# search find "Zürich".


def _to_json(value: object) -> str:
    # A lone surrogate from hostile input falls back to the escaped standard encoding.
    return dumps_sorted(value)


def mapping_to_json(value: Mapping[str, AttrValue]) -> str:
    return _to_json(dict(value)) if value else "{}"


def json_to_mapping(text: str) -> Mapping[str, AttrValue]:
    loaded: dict[str, AttrValue] = json.loads(text)
    return MappingProxyType(loaded)


def event_params(event: Event, incident_id: str | None) -> tuple[object, ...]:
    """Bind values for `INSERT_EVENT`."""
    return (
        event.id,
        event.device_id,
        event.location,
        event.type.value,
        dt_to_text(event.device_time),
        dt_to_text(event.received_at),
        event.source.value,
        int(event.priority),
        mapping_to_json(event.attributes),
        int(event.suppressed),
        incident_id,
    )


INSERT_EVENT: Final = (
    "INSERT INTO events (id, device_id, location, type, device_time, received_at, source,"
    " priority, attributes, suppressed, incident_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
EVENT_COLUMNS: Final = (
    "seq, id, device_id, location, type, device_time, received_at, source, priority,"
    " attributes, suppressed"
)


def row_to_event(row: sqlite3.Row) -> Event:
    return Event(
        id=row["id"],
        device_id=row["device_id"],
        location=row["location"],
        type=EventType(row["type"]),
        device_time=text_to_dt(row["device_time"]),
        received_at=text_to_dt(row["received_at"]),
        source=Source(row["source"]),
        priority=int(row["priority"]),
        attributes=json_to_mapping(row["attributes"]),
        suppressed=bool(row["suppressed"]),
    )


def _timeline_to_json(timeline: tuple[TimelineEntry, ...]) -> str:
    items = [
        {
            "at": dt_to_text(e.at),
            "kind": e.kind,
            "text": e.text,
            "event_id": e.event_id,
            "actor": e.actor,
        }
        for e in timeline
    ]
    return _to_json(items)


def _json_to_timeline(text: str) -> tuple[TimelineEntry, ...]:
    items: list[dict[str, Any]] = json.loads(text)
    return tuple(
        TimelineEntry(
            at=text_to_dt(i["at"]),
            kind=i["kind"],
            text=i["text"],
            event_id=i["event_id"],
            actor=i["actor"],
        )
        for i in items
    )


UPSERT_INCIDENT: Final = (
    "INSERT INTO incidents (id, location, device_id, trigger, priority, state, opened_at,"
    " updated_at, consoles, escalation_level, acknowledged_by, acknowledged_at, cleared_at,"
    " timeline, live) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET"
    " location=excluded.location, device_id=excluded.device_id, trigger=excluded.trigger,"
    " priority=excluded.priority, state=excluded.state, opened_at=excluded.opened_at,"
    " updated_at=excluded.updated_at, consoles=excluded.consoles,"
    " escalation_level=excluded.escalation_level, acknowledged_by=excluded.acknowledged_by,"
    " acknowledged_at=excluded.acknowledged_at, cleared_at=excluded.cleared_at,"
    " timeline=excluded.timeline, live=excluded.live"
)


def incident_params(inc: Incident) -> tuple[object, ...]:
    return (
        inc.id,
        inc.location,
        inc.device_id,
        inc.trigger.value,
        int(inc.priority),
        inc.state.value,
        dt_to_text(inc.opened_at),
        dt_to_text(inc.updated_at),
        _to_json(list(inc.consoles)),
        inc.escalation_level,
        inc.acknowledged_by,
        opt_dt_to_text(inc.acknowledged_at),
        opt_dt_to_text(inc.cleared_at),
        _timeline_to_json(inc.timeline),
        int(inc.live),
    )


def row_to_incident(row: sqlite3.Row) -> Incident:
    return Incident(
        id=row["id"],
        location=row["location"],
        device_id=row["device_id"],
        trigger=EventType(row["trigger"]),
        priority=int(row["priority"]),
        state=IncidentState(row["state"]),
        opened_at=text_to_dt(row["opened_at"]),
        updated_at=text_to_dt(row["updated_at"]),
        consoles=tuple(json.loads(row["consoles"])),
        escalation_level=int(row["escalation_level"]),
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=opt_text_to_dt(row["acknowledged_at"]),
        cleared_at=opt_text_to_dt(row["cleared_at"]),
        timeline=_json_to_timeline(row["timeline"]),
        live=bool(row["live"]),
    )


INSERT_ACTION: Final = (
    "INSERT INTO actions (id, kind, target, event_id, incident_id, priority, created_at,"
    " payload, due_at, state, attempts, last_error, finished_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
ACTION_COLUMNS: Final = (
    "id, kind, target, event_id, incident_id, priority, created_at, payload, due_at, state,"
    " attempts, last_error, finished_at"
)


def action_params(a: Action) -> tuple[object, ...]:
    return (
        a.id,
        a.kind.value,
        a.target,
        a.event_id,
        a.incident_id,
        int(a.priority),
        dt_to_text(a.created_at),
        payload_to_text(a.payload),
        opt_dt_to_text(a.due_at),
        a.state.value,
        a.attempts,
        a.last_error,
        opt_dt_to_text(a.finished_at),
    )


def row_to_action(row: sqlite3.Row) -> Action:
    return Action(
        id=row["id"],
        payload=payload_from_text(ActionKind(row["kind"]), row["payload"]),
        target=row["target"],
        event_id=row["event_id"],
        incident_id=row["incident_id"],
        priority=int(row["priority"]),
        created_at=text_to_dt(row["created_at"]),
        due_at=opt_text_to_dt(row["due_at"]),
        state=ActionState(row["state"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        finished_at=opt_text_to_dt(row["finished_at"]),
    )


INSERT_AUDIT: Final = (
    "INSERT INTO audit (id, at, actor, action, subject, detail) VALUES (?,?,?,?,?,?)"
)


def audit_params(r: AuditRecord) -> tuple[object, ...]:
    return (r.id, dt_to_text(r.at), r.actor, r.action, r.subject, mapping_to_json(r.detail))


def row_to_audit(row: sqlite3.Row) -> AuditRecord:
    return AuditRecord(
        id=row["id"],
        at=text_to_dt(row["at"]),
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        detail=dict(json.loads(row["detail"])),
    )
