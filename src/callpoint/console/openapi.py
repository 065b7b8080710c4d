"""The OpenAPI 3.1 description served at /openapi.json, written by hand, kept short."""

from __future__ import annotations

from callpoint import __version__
from callpoint.console.openapi_payloads import action_schemas, ref
from callpoint.model import ActionState, EventType

_ERR: dict[str, object] = {"$ref": "#/components/schemas/Error"}

_STREAM = """\
Every message is `id: N` (increasing within one server process), `event: KIND` and one
`data:` line of JSON. Changes are coalesced: what the server commits in one turn of its
event loop (under load, a group commit of many events) is one message per audience; a
busy server sends at most one per audience every 10 ms.

- `hello` (first on every connection, no id): `{"seq", "boot", "resumed"}`.
- `changes` (to every client): `{"decisions": [...], "outcomes": [...]}`, each list only
  when not empty. A decision is `{"event", "incidents", "actions"}` (each only when there
  is one): the event and the incidents (with their timeline) have the fields of
  `/api/v1/events` and `/api/v1/incidents/{id}`; an action is `{"id", "incident_id",
  "kind", "target", "state"}`. An outcome is one attempt's result: `{"id",
  "incident_id", "kind", "target", "state", "attempts", "detail"}`.
- `screen` (only to clients connected as that console, and to those without `console`):
  `{"actions": [{"id", "kind", "target", "incident_id", "priority", "payload"}]}` with kind
  `popup`, `show` or `escalate`; `payload` is that kind's (`PopupPayload`, `ShowPayload`,
  `EscalatePayload` under components), camera lists as arrays.
- `config`: `{"generation", "by"}` after a configuration reload.
- `reset`: `{"reason"}`: the client missed more than is kept; reload from the API.
"""


def _resp(desc: str, schema: dict[str, object] | None = None) -> dict[str, object]:
    out: dict[str, object] = {"description": desc}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _errors(*codes: int) -> dict[str, object]:
    text = {
        400: "Malformed request",
        401: "Not authenticated",
        404: "Not found",
        409: "Conflict (replay, or the incident cannot do that now)",
        413: "Body too large",
        422: "Unknown device or event type",
        503: "Store unavailable; nothing was accepted",
    }
    return {str(c): _resp(text[c], _ERR) for c in codes}


def _responses(ok: dict[str, object], *codes: int) -> dict[str, object]:
    return {**ok, **_errors(*codes)}


def _binary(desc: str, media_type: str) -> dict[str, object]:
    return {"description": desc, "content": {media_type: {"schema": {"type": "string"}}}}


def _merge(a: dict[str, object], b: dict[str, object]) -> dict[str, object]:
    return {**a, **b}


def _get(
    summary: str,
    params: list[dict[str, object]] | None = None,
    schema: dict[str, object] | None = None,
) -> dict[str, object]:
    ok: dict[str, object] = schema if schema is not None else {"type": "object"}
    return {
        "get": {
            "summary": summary,
            "parameters": params or [],
            "responses": _responses({"200": _resp("OK", ok)}, 400, 401),
        }
    }


def _q(name: str, desc: str, type_: str = "string", **schema: object) -> dict[str, object]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": desc,
        "schema": {"type": type_, **schema},
    }


_LIMIT = _q("limit", "Page size", "integer", minimum=1, maximum=1000)
_TYPES = [t.value for t in EventType]
_STATES = [s.value for s in ActionState]


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _cmd(summary: str, body: dict[str, object] | None = None) -> dict[str, object]:
    op: dict[str, object] = {
        "summary": summary,
        "parameters": [_ID],
        "responses": _responses(
            {"200": _resp("Done", {"type": "object"})}, 400, 401, 404, 409, 503
        ),
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return {"post": op}


def openapi() -> dict[str, object]:
    """The whole document."""
    event_in = {
        "type": "object",
        "required": ["device", "type", "time"],
        "additionalProperties": False,
        "properties": {
            "device": {"type": "string", "minLength": 1, "example": "EXPH-03"},
            "type": {"type": "string", "enum": _TYPES, "example": "sos"},
            "time": {"type": "string", "format": "date-time"},
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_.:@-]{1,64}$"},
            "location": {"type": "string", "minLength": 1},
            "attributes": {
                "type": "object",
                "maxProperties": 32,
                "additionalProperties": {
                    "anyOf": [
                        {"type": "string", "maxLength": 512},
                        {"type": "number"},
                        {"type": "boolean"},
                    ]
                },
            },
        },
    }
    paths: dict[str, object] = {
        "/healthz": {
            "get": {
                "summary": "Liveness and store health (no token needed)",
                "security": [],
                "responses": {
                    "200": _resp("Healthy", {"type": "object"}),
                    "503": _resp("Store failing", {"type": "object"}),
                },
            }
        },
        "/api/v1/events": _merge(
            _get(
                "Event log, newest first",
                [
                    _q("device", "Device id"),
                    _q("location", "Location tag"),
                    _q("type", "Event type (repeatable)", enum=_TYPES),
                    _q("since", "RFC 3339", format="date-time"),
                    _q("until", "RFC 3339", format="date-time"),
                    _q("q", "Text search"),
                    _LIMIT,
                    _q(
                        "before",
                        "Page before this seq (next_before)",
                        "integer",
                        minimum=0,
                        maximum=2**63 - 1,
                    ),
                ],
            ),
            {
                "post": {
                    "summary": "Device event webhook (Standard Webhooks signature or bearer token)",
                    "security": [{"webhook": []}, {"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": event_in}},
                    },
                    "responses": _responses(
                        {
                            "202": _resp("Stored; actions planned", {"type": "object"}),
                            "200": _resp(
                                "Already stored (idempotent re-delivery)", {"type": "object"}
                            ),
                        },
                        400,
                        401,
                        409,
                        413,
                        422,
                        503,
                    ),
                }
            },
        ),
        "/api/v1/incidents": _get(
            "Incidents",
            [
                _q("active", "1 for active only", enum=["0", "1", "true", "false", "yes", "no"]),
                _LIMIT,
            ],
        ),
        "/api/v1/incidents/{id}": {
            "get": {
                "summary": "Incident with events, actions, timeline",
                "parameters": [_ID],
                "responses": _responses({"200": _resp("OK", {"type": "object"})}, 401, 404),
            }
        },
        "/api/v1/incidents/{id}/ack": _cmd("Acknowledge"),
        "/api/v1/incidents/{id}/clear": _cmd("Clear"),
        "/api/v1/incidents/{id}/door": _cmd("Release the door of the incident's device"),
        "/api/v1/incidents/{id}/note": _cmd(
            "Add a note",
            {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": "\\S"}
                },
            },
        ),
        "/api/v1/actions": _get(
            "Outbox actions, each with the typed payload of its kind",
            [_q("state", "Outbox state (repeatable)", enum=_STATES), _LIMIT],
            {
                "type": "object",
                "required": ["actions"],
                "properties": {"actions": {"type": "array", "items": ref("Action")}},
            },
        ),
        "/api/v1/audit": _get("Audit log", [_LIMIT]),
        "/api/v1/site": _get("Consoles, locations, cameras and devices"),
        "/api/v1/cameras/{id}/snapshot": {
            "get": {
                "summary": "A recent JPEG still of a camera (ONVIF snapshot, cached ~1 s)",
                "parameters": [_ID],
                "responses": _responses(
                    {
                        "200": _binary("The still", "image/jpeg"),
                        "502": _resp("The camera gave no still (the reason)", _ERR),
                        "503": _resp("No snapshot service", _ERR),
                    },
                    401,
                    404,
                ),
            }
        },
        "/api/v1/events.csv": {
            "get": {
                "summary": "The event log as CSV (same filters as /api/v1/events)",
                "parameters": [
                    _q("device", "Device id"),
                    _q("location", "Location tag"),
                    _q("type", "Event type (repeatable)", enum=_TYPES),
                ],
                "responses": _responses({"200": _binary("CSV", "text/csv")}, 400, 401),
            }
        },
        "/api/v1/stream": {
            "get": {
                "summary": "Live changes as server-sent events; resume with Last-Event-ID",
                "description": _STREAM,
                "parameters": [
                    _q("console", "This screen's console: its `screen` messages, no others'"),
                    {
                        "name": "Last-Event-ID",
                        "in": "header",
                        "required": False,
                        "description": "Resume after this message id",
                        "schema": {"type": "string"},
                    },
                    _q("last_event_id", "Resume after this message id (as Last-Event-ID)"),
                    _q(
                        "boot",
                        "The hello's `boot` the id is from (another boot's ids are not resumed)",
                    ),
                    _q("access_token", "API token (EventSource cannot set headers)"),
                ],
                "responses": _responses(
                    {
                        "200": _binary(
                            "The stream, until the client or server ends it", "text/event-stream"
                        ),
                        "503": _resp("Too many stream clients", _ERR),
                    },
                    400,
                    401,
                ),
            }
        },
        "/api/v1/config/reload": {
            "post": {
                "summary": "Reload site.yaml; refused if invalid",
                "responses": {"200": _resp("In force"), **_errors(400, 401)},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "callpoint", "version": __version__},
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "webhook": {"type": "apiKey", "in": "header", "name": "webhook-signature"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                },
                **action_schemas(),
            },
        },
    }
