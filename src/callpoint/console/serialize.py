"""JSON shapes of the API: one function per model type, stable field names."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from callpoint.action_payloads import FIELD_NAMES, Payload
from callpoint.model import Action, AuditRecord, Event, Incident, TimelineEntry

JsonObj = dict[str, object]


def ts(value: datetime | None) -> str | None:
    """RFC 3339 with microseconds, or None."""
    return value.isoformat() if value is not None else None


def event_json(ev: Event) -> JsonObj:
    return {
        "id": ev.id,
        "device": ev.device_id,
        "location": ev.location,
        "type": str(ev.type),
        "device_time": ts(ev.device_time),
        "received_at": ts(ev.received_at),
        "source": str(ev.source),
        "priority": ev.priority,
        "attributes": dict(ev.attributes),
        "suppressed": ev.suppressed,
    }


def timeline_json(entry: TimelineEntry) -> JsonObj:
    return {
        "at": ts(entry.at),
        "kind": entry.kind,
        "text": entry.text,
        "event_id": entry.event_id,
        "actor": entry.actor,
    }


def incident_json(inc: Incident, *, timeline: bool = True) -> JsonObj:
    out: JsonObj = {
        "id": inc.id,
        "location": inc.location,
        "device": inc.device_id,
        "trigger": str(inc.trigger),
        "priority": inc.priority,
        "state": str(inc.state),
        "active": inc.active,
        "live": inc.live,
        "opened_at": ts(inc.opened_at),
        "updated_at": ts(inc.updated_at),
        "consoles": list(inc.consoles),
        "escalation_level": inc.escalation_level,
        "acknowledged_by": inc.acknowledged_by,
        "acknowledged_at": ts(inc.acknowledged_at),
        "cleared_at": ts(inc.cleared_at),
    }
    if timeline:
        out["timeline"] = [timeline_json(e) for e in inc.timeline]
    return out


def _plain(value: object) -> object:
    """Tuples as lists (camera lists, header pairs), enums as their text."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def payload_json(payload: Payload) -> JsonObj:
    """The payload's fields by name, lists as lists: the `payload` of an action."""
    return {name: _plain(getattr(payload, name)) for name in FIELD_NAMES[type(payload)]}


def action_json(action: Action) -> JsonObj:
    return {
        "id": action.id,
        "kind": str(action.kind),
        "target": action.target,
        "event_id": action.event_id or None,
        "incident_id": action.incident_id,
        "priority": action.priority,
        "created_at": ts(action.created_at),
        "due_at": ts(action.due_at),
        "payload": payload_json(action.payload),
        "state": str(action.state),
        "attempts": action.attempts,
        "last_error": action.last_error,
        "finished_at": ts(action.finished_at),
    }


def audit_json(rec: AuditRecord) -> JsonObj:
    return {
        "id": rec.id,
        "at": ts(rec.at),
        "actor": rec.actor,
        "action": rec.action,
        "subject": rec.subject,
        "detail": dict(rec.detail),
    }
