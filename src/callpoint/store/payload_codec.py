"""Action payloads as stored JSON: `{"payload": {...fields}, "v": PAYLOAD_VERSION}`.

The kind is its own column, so the JSON holds only the fields. Text without a `"v"` is a
row from before typed payloads (schema version 2 and earlier): a flat object of the
planner's string keys, read by `from_params` (store/legacy_params.py). Migration 3
rewrites such rows, so a database that was upgraded holds version 1 only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Final, cast

import orjson

from callpoint.action_payloads import FIELD_NAMES, PAYLOAD_TYPES, Payload
from callpoint.model import ActionKind, EventType
from callpoint.store.legacy_params import from_params

PAYLOAD_VERSION: Final = 1
"""Bump when a payload field changes meaning or type, and read the older version too."""

_ASCII: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


class PayloadFormatError(ValueError):
    """Stored payload JSON that this callpoint cannot read."""


def payload_to_text(payload: Payload) -> str:
    """The stored JSON of `payload` (orjson writes the dataclass itself, in C)."""
    try:
        return orjson.dumps({"payload": payload, "v": PAYLOAD_VERSION}).decode()
    except (orjson.JSONEncodeError, TypeError):
        # A lone surrogate from hostile input: the standard encoder escapes it.
        fields = {n: getattr(payload, n) for n in FIELD_NAMES[type(payload)]}
        return _ASCII.encode({"payload": fields, "v": PAYLOAD_VERSION})


def _strings(value: object) -> tuple[str, ...]:
    return tuple(cast("list[str]", value))


def _pairs(value: object) -> tuple[tuple[str, str], ...]:
    return tuple((name, text) for name, text in cast("list[list[str]]", value))


def _event(value: object) -> EventType:
    return EventType(cast("str", value))


# JSON has arrays and strings where payloads have tuples and enums; the rest is as read.
_CONVERT: Final[dict[str, Callable[[object], object]]] = {
    "cameras": _strings,
    "headers": _pairs,
    "event": _event,
}
_CONVERTERS: Final = {
    kind: tuple((n, _CONVERT[n]) for n in FIELD_NAMES[cls] if n in _CONVERT)
    for kind, cls in PAYLOAD_TYPES.items()
}
"""Per kind, only the fields that need converting (most kinds have none or one)."""


def payload_from_fields(kind: ActionKind, fields: dict[str, object]) -> Payload:
    """The payload of `kind` from its JSON fields; PayloadFormatError if they do not fit."""
    try:
        for name, convert in _CONVERTERS[kind]:
            if name in fields:
                fields[name] = convert(fields[name])
        # mypy cannot match a dict of objects to one class's keywords; the call checks.
        return PAYLOAD_TYPES[kind](**fields)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise PayloadFormatError(f"{kind.value} payload {fields!r}: {exc}") from exc


def payload_from_text(kind: ActionKind, text: str) -> Payload:
    """Read a stored payload of either format."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:  # orjson refuses an escaped lone surrogate, which the fallback writes
            data = json.loads(text)
        except ValueError as exc:
            raise PayloadFormatError(f"{kind.value} payload {text[:200]!r}: {exc}") from exc
    if not isinstance(data, dict):
        raise PayloadFormatError(f"{kind.value} payload {text[:200]!r}: not an object")
    version = data.get("v")
    if version is None:
        try:
            return from_params(kind, data)
        except ValueError as exc:  # an event type this callpoint does not know
            raise PayloadFormatError(f"{kind.value} params {text[:200]!r}: {exc}") from exc
    fields = data.get("payload")
    if version != PAYLOAD_VERSION or not isinstance(fields, dict):
        raise PayloadFormatError(f"{kind.value} payload {text[:200]!r}: not version 1")
    return payload_from_fields(kind, fields)


_UPGRADE_BATCH: Final = 1000
"""Rows rewritten per statement by migration 3 (bounds memory on a large outbox)."""


def upgrade_legacy_rows(conn: sqlite3.Connection) -> None:
    """Migration 3's data step: rewrite every flat-params action row as version 1."""
    last = -1
    while True:
        found = conn.execute(
            "SELECT seq, kind, payload FROM actions WHERE seq > ? ORDER BY seq LIMIT ?",
            (last, _UPGRADE_BATCH),
        ).fetchall()
        if not found:
            return
        changed = [
            (payload_to_text(payload_from_text(ActionKind(kind), text)), seq)
            for seq, kind, text in found
        ]
        conn.executemany("UPDATE actions SET payload = ? WHERE seq = ?", changed)
        last = found[-1][0]
