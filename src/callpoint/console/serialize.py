"""JSON shapes of the API: one function per model type, stable field names.

The REST shapes are complete and plain (strings for times). The live-stream shapes at the
end carry what the console reads and are built for `callpoint.console.stream.encode`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from callpoint.model import (
    Action,
    ActionOutcome,
    AttrValue,
    AuditRecord,
    Event,
    Incident,
    TimelineEntry,
)

if TYPE_CHECKING:
    from callpoint.engine import Decision

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


def params_json(params: dict[str, AttrValue]) -> JsonObj:
    return dict(params)


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
        "params": dict(action.params),
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


# -- live-stream shapes ------------------------------------------------------------------
# Values are passed as they are: orjson writes datetimes (exactly as `ts` does), enums,
# tuples, timeline entries (dataclasses whose fields are the JSON names) and, through the
# stream's encoder, read-only mappings, all in C. No isoformat, no copies, one dict each.


def event_live(ev: Event) -> JsonObj:
    """`event_json`'s fields: the event log and device health show all of them."""
    return {
        "id": ev.id,
        "device": ev.device_id,
        "location": ev.location,
        "type": ev.type,
        "device_time": ev.device_time,
        "received_at": ev.received_at,
        "source": ev.source,
        "priority": ev.priority,
        "attributes": ev.attributes,
        "suppressed": ev.suppressed,
    }


def incident_live(inc: Incident) -> JsonObj:
    """`incident_json`'s fields with the timeline, which an open pop-up shows live."""
    return {
        "id": inc.id,
        "location": inc.location,
        "device": inc.device_id,
        "trigger": inc.trigger,
        "priority": inc.priority,
        "state": inc.state,
        "active": inc.active,
        "live": inc.live,
        "opened_at": inc.opened_at,
        "updated_at": inc.updated_at,
        "consoles": inc.consoles,
        "escalation_level": inc.escalation_level,
        "acknowledged_by": inc.acknowledged_by,
        "acknowledged_at": inc.acknowledged_at,
        "cleared_at": inc.cleared_at,
        "timeline": inc.timeline,
    }


def action_live(action: Action) -> JsonObj:
    """A planned or changed action as a pop-up lists it: what, where, which state."""
    return {
        "id": action.id,
        "incident_id": action.incident_id,
        "kind": action.kind,
        "target": action.target,
        "state": action.state,
    }


def decision_live(decision: Decision) -> JsonObj | None:
    """One committed decision: its event, changed incidents and actions; None if none."""
    out: JsonObj = {}
    if decision.event is not None:
        out["event"] = event_live(decision.event)
    if decision.incidents:
        out["incidents"] = [incident_live(i) for i in decision.incidents]
    if decision.actions:
        out["actions"] = [action_live(a) for a in decision.actions]
    return out or None


def outcome_live(action: Action, outcome: ActionOutcome) -> JsonObj:
    """An attempt's result: the action's new state and what the executor said."""
    return {
        "id": action.id,
        "incident_id": action.incident_id,
        "kind": action.kind,
        "target": action.target,
        "state": action.state,
        "attempts": action.attempts,
        "detail": outcome.detail,
    }


def screen_live(action: Action) -> JsonObj:
    """A pop-up, show or escalate instruction for one console: what the page needs to act."""
    return {
        "id": action.id,
        "kind": action.kind,
        "target": action.target,
        "incident_id": action.incident_id,
        "priority": action.priority,
        "params": action.params,
    }
