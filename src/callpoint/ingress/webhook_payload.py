"""The webhook's JSON body, checked field by field, and its normalisation into an Event."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from callpoint.ingress.contract import RawEvent
from callpoint.model import AttrValue, Source

MAX_ATTRIBUTES = 32  # flat key/values: call state, extension, raw topic...
MAX_ATTRIBUTE_CHARS = 512
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
KNOWN_FIELDS = frozenset({"device", "type", "time", "id", "location", "attributes"})


class PayloadError(Exception):
    """Malformed body (HTTP 400); the message says which field and why."""


@dataclass(frozen=True, slots=True)
class EventRequest:
    """A webhook body that passed the shape checks."""

    device: str
    type: str
    time: datetime
    id: str | None = None
    location: str | None = None
    attributes: dict[str, AttrValue] = field(default_factory=dict)


def _text(obj: dict[str, object], name: str, *, required: bool) -> str | None:
    value = obj.get(name)
    if value is None:
        if required:
            raise PayloadError(f"field '{name}' is required")
        return None
    if not isinstance(value, str) or not value:
        raise PayloadError(f"field '{name}' must be a non-empty string")
    return value


def parse_time(value: str) -> datetime:
    """An RFC 3339 date-time with an offset (Z or ±hh:mm)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise PayloadError(f"field 'time' is not an RFC 3339 date-time: {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        raise PayloadError("field 'time' has no UTC offset (add Z or +hh:mm)")
    return parsed


def _attributes(value: object) -> dict[str, AttrValue]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError("field 'attributes' must be an object")
    if len(value) > MAX_ATTRIBUTES:
        raise PayloadError(f"field 'attributes' has more than {MAX_ATTRIBUTES} entries")
    out: dict[str, AttrValue] = {}
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool):
            raise PayloadError(f"attribute '{key}' must be a string, number or boolean")
        if isinstance(item, float) and not math.isfinite(item):
            raise PayloadError(f"attribute '{key}' must be a finite number")
        if isinstance(item, str) and len(item) > MAX_ATTRIBUTE_CHARS:
            raise PayloadError(f"attribute '{key}' is longer than {MAX_ATTRIBUTE_CHARS} chars")
        out[str(key)] = item
    return out


def decode_json(body: bytes) -> object:
    """The body as JSON; raises PayloadError. Parsed once per request, checked apart."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from exc


def parse_event_body(body: bytes) -> EventRequest:
    """Parse and shape-check a webhook body; raises PayloadError with the reason."""
    return check_event_object(decode_json(body))


def check_event_object(obj: object) -> EventRequest:
    """Shape-check decoded JSON; raises PayloadError with the reason."""
    if not isinstance(obj, dict):
        raise PayloadError("body must be a JSON object")
    unknown = sorted(set(obj) - KNOWN_FIELDS)
    if unknown:
        raise PayloadError(f"unknown field(s): {', '.join(unknown)}")
    device = _text(obj, "device", required=True)
    type_ = _text(obj, "type", required=True)
    time_text = _text(obj, "time", required=True)
    assert device is not None and type_ is not None and time_text is not None
    event_id = _text(obj, "id", required=False)
    if event_id is not None and not ID_PATTERN.match(event_id):
        raise PayloadError("field 'id' must be 1-64 characters of A-Z a-z 0-9 _ . : @ -")
    return EventRequest(
        device=device,
        type=type_,
        time=parse_time(time_text),
        id=event_id,
        location=_text(obj, "location", required=False),
        attributes=_attributes(obj.get("attributes")),
    )


def raw_event(req: EventRequest, event_id: str) -> RawEvent:
    """The facts a checked body states, for the site's normaliser."""
    return RawEvent(
        device_id=req.device,
        type=req.type,
        source=Source.WEBHOOK,
        device_time=req.time,
        attributes=req.attributes,
        event_id=event_id,
        reported_location=req.location,
    )
