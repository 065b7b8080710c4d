"""The HTTP API under /api/v1: incidents, events, actions, audit, stream, config reload."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from callpoint.console.serialize import action_json, audit_json, event_json, incident_json
from callpoint.console.stream import StreamHub, TooManyClientsError
from callpoint.engine import Decision, Engine, IllegalTransitionError, UnknownIncidentError
from callpoint.ingress.webhook_payload import PayloadError, parse_time
from callpoint.jsonfast import dumps_bytes, dumps_text
from callpoint.model import ActionState, EventType
from callpoint.runtime import Runtime
from callpoint.store.base import EventQuery, StoreUnavailableError

log = logging.getLogger(__name__)


MAX_PAGE = 1000
MAX_SEQ = 2**63 - 1  # SQLite's INTEGER; larger numbers overflow instead of matching nothing
MAX_NOTE_CHARS = 2000
ACTIVE_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
ACTOR_KEY = web.RequestKey("actor", str)


def request_actor(request: web.Request) -> str:
    """Who is calling: the API token's name or the logged-in user."""
    return str(request.get(ACTOR_KEY, "?"))


def _error(status: int, reason: str, detail: str) -> web.Response:
    return web.json_response({"error": reason, "detail": detail}, status=status)


class BadQueryError(web.HTTPBadRequest):
    """A malformed query parameter, answered in the API's JSON error shape."""

    def __init__(self, detail: str) -> None:
        body = dumps_text({"error": "malformed", "detail": detail})
        super().__init__(text=body, content_type="application/json")


def _limit(request: web.Request, default: int = 100) -> int:
    raw = request.query.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadQueryError(f"limit must be 1-{MAX_PAGE}")
    return int(raw)


def _time_param(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return parse_time(raw)
    except PayloadError as exc:
        raise BadQueryError(f"{name}: {exc}") from exc


class Api:
    """Route handlers bound to a runtime and the live stream; `actor` names who is calling."""

    def __init__(
        self,
        runtime: Runtime,
        hub: StreamHub,
        actor: Callable[[web.Request], str],
        reload: Callable[[str], Awaitable[tuple[bool, list[str]]]],
    ) -> None:
        self.runtime = runtime
        self.hub = hub
        self.actor = actor
        self._reload = reload

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v1/incidents", self.list_incidents),
            web.get("/api/v1/incidents/{id}", self.get_incident),
            web.post("/api/v1/incidents/{id}/ack", self.ack),
            web.post("/api/v1/incidents/{id}/note", self.note),
            web.post("/api/v1/incidents/{id}/clear", self.clear),
            web.post("/api/v1/incidents/{id}/door", self.door),
            web.get("/api/v1/events", self.list_events),
            web.get("/api/v1/actions", self.list_actions),
            web.get("/api/v1/audit", self.list_audit),
            web.get("/api/v1/site", self.site),
            web.get("/api/v1/stream", self.stream),
            web.post("/api/v1/config/reload", self.reload),
        ]

    async def list_incidents(self, request: web.Request) -> web.Response:
        raw = request.query.get("active", "0")
        if raw not in ACTIVE_VALUES:
            raise BadQueryError("active must be 1/true/yes or 0/false/no")
        active = ACTIVE_VALUES[raw]
        incidents = await self.runtime.store.incidents(active_only=active, limit=_limit(request))
        return web.json_response(
            {"incidents": [incident_json(i, timeline=False) for i in incidents]}
        )

    async def get_incident(self, request: web.Request) -> web.Response:
        inc_id = request.match_info["id"]
        inc = await self.runtime.store.incident(inc_id)
        if inc is None:
            return _error(404, "not found", f"no incident {inc_id}")
        events = await self.runtime.store.events_for_incident(inc_id)
        actions = await self.runtime.store.actions_for_incident(inc_id)
        body = incident_json(inc)
        body["events"] = [event_json(e) for e in events]
        body["actions"] = [action_json(a) for a in actions]
        return web.json_response(body)

    async def _command(
        self, request: web.Request, decide: Callable[[Engine, datetime], Decision]
    ) -> web.Response:
        try:
            decision = await self.runtime.command(decide)
        except UnknownIncidentError:
            return _error(404, "not found", f"no open incident {request.match_info['id']}")
        except IllegalTransitionError as exc:
            return _error(409, "conflict", str(exc))
        except StoreUnavailableError as exc:
            return _error(503, "store unavailable", str(exc))
        [inc] = decision.incidents[-1:] or [None]
        return web.json_response(
            {
                "incident": incident_json(inc) if inc is not None else None,
                "actions": [action_json(a) for a in decision.actions],
            }
        )

    async def ack(self, request: web.Request) -> web.Response:
        user, inc_id = self.actor(request), request.match_info["id"]
        return await self._command(request, lambda e, now: e.acknowledge(inc_id, user, now))

    async def clear(self, request: web.Request) -> web.Response:
        user, inc_id = self.actor(request), request.match_info["id"]
        return await self._command(request, lambda e, now: e.clear(inc_id, user, now))

    async def door(self, request: web.Request) -> web.Response:
        user, inc_id = self.actor(request), request.match_info["id"]
        return await self._command(request, lambda e, now: e.release_door(inc_id, user, now))

    async def note(self, request: web.Request) -> web.Response:
        user, inc_id = self.actor(request), request.match_info["id"]
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "malformed", 'body must be JSON {"text": "..."}')
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_NOTE_CHARS:
            return _error(400, "malformed", f"'text' must be 1-{MAX_NOTE_CHARS} characters")
        return await self._command(
            request, lambda e, now: e.add_note(inc_id, user, text.strip(), now)
        )

    async def list_events(self, request: web.Request) -> web.Response:
        types: set[EventType] = set()
        for raw in request.query.getall("type", []):
            try:
                types.add(EventType(raw))
            except ValueError:
                return _error(400, "malformed", f"unknown event type '{raw}'")
        before = request.query.get("before")
        if before is not None and not (before.isdigit() and int(before) <= MAX_SEQ):
            raise BadQueryError("before must be a seq: an integer 0 to 2^63-1")
        query = EventQuery(
            device_id=request.query.get("device"),
            location=request.query.get("location"),
            types=frozenset(types),
            since=_time_param(request, "since"),
            until=_time_param(request, "until"),
            text=request.query.get("q"),
            limit=_limit(request),
            before_seq=int(before) if before and before.isdigit() else None,
        )
        found = await self.runtime.store.events_with_seq(query)
        events = []
        for seq, event in found:
            body = event_json(event)
            body["seq"] = seq
            events.append(body)
        # The cursor for the next (older) page: pass it back as `before`.
        next_before = found[-1][0] if len(found) == query.limit else None
        return web.json_response({"events": events, "next_before": next_before})

    async def list_actions(self, request: web.Request) -> web.Response:
        states: set[ActionState] = set()
        for raw in request.query.getall("state", []):
            try:
                states.add(ActionState(raw))
            except ValueError:
                return _error(400, "malformed", f"unknown action state '{raw}'")
        actions = await self.runtime.store.actions(states=frozenset(states), limit=_limit(request))
        return web.json_response({"actions": [action_json(a) for a in actions]})

    async def list_audit(self, request: web.Request) -> web.Response:
        records = await self.runtime.store.audit(limit=_limit(request))
        return web.json_response({"audit": [audit_json(r) for r in records]})

    async def site(self, request: web.Request) -> web.Response:
        cfg = self.runtime.site.config
        return web.json_response(
            {
                "name": cfg.site.name,
                "timezone": cfg.site.timezone,
                "consoles": [c.model_dump() for c in cfg.consoles],
                "escalation": cfg.escalation.chain,
                "locations": [loc.model_dump() for loc in cfg.locations],
                "cameras": [
                    {"id": c.id, "kind": str(c.kind), "presets": c.presets} for c in cfg.cameras
                ],
                "devices": [
                    {"id": d.id, "kind": str(d.kind), "location": d.location} for d in cfg.devices
                ],
            }
        )

    async def reload(self, request: web.Request) -> web.Response:
        ok, issues = await self._reload(self.actor(request))
        if not ok:
            return web.json_response({"error": "config refused", "issues": issues}, status=400)
        return web.json_response({"generation": self.runtime.config_generation})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        console = request.query.get("console") or None
        if console is not None and console not in self.runtime.site.console_names:
            return _error(400, "malformed", f"unknown console '{console}'")
        last = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
        last_seen = int(last) if last and last.isdigit() else None
        boot = request.query.get("boot")
        if boot is not None and boot != self.hub.boot:
            last_seen = None  # ids from before a restart mean nothing now: start afresh
        if last_seen is not None and last_seen > self.hub.last_seq:
            # The browser's own retry keeps its first URL (no boot) and sends only
            # Last-Event-ID: an id this process never gave out is from an earlier boot.
            last_seen = None
        try:
            sub = self.hub.subscribe(console, last_seen)
        except TooManyClientsError:
            return _error(503, "busy", "too many stream clients")
        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await resp.prepare(request)
        try:
            hub = self.hub
            hello = {"seq": hub.last_seq, "boot": hub.boot, "resumed": last_seen is not None}
            await resp.write(b"retry: 1000\nevent: hello\ndata: " + dumps_bytes(hello) + b"\n\n")
            while True:
                batch = await sub.next_batch()  # the hub adds keep-alives to idle streams
                # Everything queued goes in one write: one syscall, not one per message.
                if len(batch) == 1 and batch[0] is not None:
                    await resp.write(batch[0].frame)  # the usual case: no copy
                else:
                    frames = [m.frame for m in batch if m is not None]
                    if frames:
                        await resp.write(b"".join(frames))
                if batch[-1] is None:
                    break  # too far behind: the client reconnects and resumes by id
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.hub.unsubscribe(sub)
        with contextlib.suppress(ConnectionResetError):
            await resp.write_eof()
        return resp


def token_middleware(
    tokens: Callable[[], dict[str, str]], public: Callable[[web.Request], bool]
) -> Middleware:
    """Bearer-token access to the API; `request['actor']` is the token's name."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if public(request) or ACTOR_KEY in request:  # public, or a logged-in browser
            return await handler(request)
        given = ""
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        elif request.path == "/api/v1/stream":
            given = request.query.get("access_token", "")  # EventSource cannot set headers
        for name, token in tokens().items():
            if given and hmac.compare_digest(token.encode(), given.encode()):
                request[ACTOR_KEY] = name
                return await handler(request)
        return _error(401, "unauthorized", "a valid API token is required")

    return middleware
