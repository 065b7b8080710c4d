"""OpenAPI schemas of actions and their payloads, derived from the payload dataclasses.

Derived rather than written out, so the description cannot drift from what
console/serialize.py sends: a payload field's annotation is its schema.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from enum import StrEnum
from typing import Final

from callpoint.action_payloads import PAYLOAD_TYPES, Payload
from callpoint.model import ActionKind, ActionState

Schema = dict[str, object]
_SCALARS: Final[dict[object, Schema]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
}


def ref(name: str) -> Schema:
    """A reference to a schema under components."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def type_schema(hint: object) -> Schema:
    """The JSON schema of a payload field's type, as serialize.payload_json writes it."""
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return {"type": "string", "enum": [m.value for m in hint]}
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return {"type": "string", "enum": list(args)}
    if origin is types.UnionType and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return _nullable(type_schema(inner))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return {"type": "array", "items": type_schema(args[0])}
    if origin is tuple:
        items = [type_schema(a) for a in args]
        return {
            "type": "array",
            "prefixItems": items,
            "minItems": len(items),
            "maxItems": len(items),
        }
    raise TypeError(f"no schema for payload field type {hint!r}")


def payload_schema(cls: type[Payload]) -> Schema:
    """One payload class as an object schema: every field present, no others."""
    hints = typing.get_type_hints(cls)
    props = {f.name: type_schema(hints[f.name]) for f in fields(cls)}
    required = [f.name for f in fields(cls)]  # the API writes every field, defaults too
    doc = (cls.__doc__ or "").strip().splitlines()[0]
    return {
        "type": "object",
        "description": f"`{cls.kind.value}`: {doc}",
        "required": required,
        "additionalProperties": False,
        "properties": props,
    }


def _name(cls: type[Payload]) -> str:
    return cls.__name__


def action_schemas() -> dict[str, Schema]:
    """`Action` and one schema per payload class, for components.schemas."""
    out: dict[str, Schema] = {_name(c): payload_schema(c) for c in PAYLOAD_TYPES.values()}
    text: Schema = {"type": "string"}
    opt_text = _nullable(text)
    when: Schema = {"type": "string", "format": "date-time"}
    out["Action"] = {
        "type": "object",
        "description": "An outbox action. `payload` has the fields of its `kind`.",
        "required": [
            "id",
            "kind",
            "target",
            "event_id",
            "incident_id",
            "priority",
            "created_at",
            "due_at",
            "payload",
            "state",
            "attempts",
            "last_error",
            "finished_at",
        ],
        "additionalProperties": False,
        "properties": {
            "id": text,
            "kind": {"type": "string", "enum": [k.value for k in ActionKind]},
            "target": text,
            "event_id": opt_text,
            "incident_id": opt_text,
            "priority": {"type": "integer"},
            "created_at": when,
            "due_at": _nullable(when),
            "payload": {"type": "object"},
            "state": {"type": "string", "enum": [s.value for s in ActionState]},
            "attempts": {"type": "integer", "minimum": 0},
            "last_error": opt_text,
            "finished_at": _nullable(when),
        },
        # Several payloads share a shape (relay, door, beacon): the kind picks the one.
        "oneOf": [
            {
                "properties": {"kind": {"const": kind.value}, "payload": ref(_name(cls))},
            }
            for kind, cls in PAYLOAD_TYPES.items()
        ],
    }
    return out
