"""What the live stream says: the JSON shapes of its messages, and their encoding.

The shapes carry what the console reads, with the values passed as they are: orjson
writes datetimes (exactly as `isoformat()`, so as the REST shapes write them), enums,
tuples, timeline entries and action payloads (dataclasses whose field names are the JSON
names, as console/serialize.py writes them) in C.
No isoformat calls, no copies, one dict per thing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

import orjson

from callpoint.model import Action, ActionOutcome, Event, Incident

if TYPE_CHECKING:
    from callpoint.engine import Decision

JsonObj = dict[str, object]


def _default(value: object) -> object:
    """What orjson does not encode by itself: read-only mappings (event attributes)."""
    if type(value) is MappingProxyType or isinstance(value, Mapping):
        return dict(value)
    return str(value)


def _default_slow(value: object) -> object:
    """The standard encoder's fallback: datetimes and dataclasses as orjson writes them."""
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def _dumps_slow(data: object) -> bytes:
    return json.dumps(data, default=_default_slow, separators=(",", ":")).encode()


def encode(data: object) -> bytes:
    """Compact JSON for a stream message.

    orjson refuses strings that are not valid UTF-8 (a lone surrogate from hostile
    input); the standard encoder, with escapes, then takes over, so nothing is lost.
    """
    try:
        return orjson.dumps(data, default=_default)
    except (orjson.JSONEncodeError, TypeError):
        return _dumps_slow(data)


def event_live(ev: Event) -> JsonObj:
    """The REST event's fields: the event log and device health show all of them."""
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
    """The REST incident's fields with the timeline, which an open pop-up shows live."""
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
        "payload": action.payload,
    }
