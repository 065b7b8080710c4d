"""POST /api/v1/events: authenticate, parse, normalise, decide, commit, then answer 202.

Order of checks: size (413), authentication (401), replay (409), body (400),
device and type (422). Nothing is acknowledged before the store has it.

`WebhookIngress.accept` is the whole check on (headers, body, peer) and knows no HTTP
library: the lean device front (`device_http`) and aiohttp (`handle`) both call it. The
body's facts go through the site's one normaliser (ingress/normalise.py), as every other
adapter's do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from callpoint.component import Health, SiteReload
from callpoint.config.site import Site
from callpoint.engine import Decision
from callpoint.ingress.contract import EventSink, IngressContext
from callpoint.ingress.normalise import UnknownReferenceError
from callpoint.ingress.refusals import RefusalLog
from callpoint.ingress.webhook_auth import (
    ReplayCache,
    SignedHeaders,
    WebhookAuthError,
    verify_bearer,
    verify_signature,
)
from callpoint.ingress.webhook_payload import (
    PayloadError,
    check_event_object,
    decode_json,
    raw_event,
)
from callpoint.jsonfast import dumps_bytes
from callpoint.model import Event, new_id
from callpoint.store import DuplicateEventError, Store, StoreError, StoreUnavailableError

log = logging.getLogger(__name__)


class WebhookKeys:
    """Secrets and tokens of a site, decoded when the config was loaded (they cannot fail
    here: `Site.credentials` exists only for a config whose secrets all checked out)."""

    def __init__(self, site: Site) -> None:
        creds = site.credentials
        self.site_keys = list(creds.site_keys)
        self.device_keys: Mapping[str, bytes] = creds.device_keys
        self.device_tokens: Mapping[str, bytes] = creds.device_tokens
        self.api_tokens = list(creds.api_tokens)


Reply = tuple[int, bytes]  # HTTP status and JSON body


def _json(status: int, body: dict[str, object]) -> Reply:
    return status, dumps_bytes(body)


def _body_device(obj: object) -> str | None:
    """The device named in an unverified body, only to choose its key."""
    device = obj.get("device") if isinstance(obj, dict) else None
    return device if isinstance(device, str) else None


ROUTE = "/api/v1/events"


class WebhookIngress:
    """Device events over HTTP, bound to a runtime: checks, decides, answers."""

    def __init__(self, sink: EventSink, store: Store) -> None:
        self.sink = sink
        self.store = store
        self.keys = WebhookKeys(sink.site)
        self.replay = ReplayCache(ttl_s=2 * sink.site.config.webhook.tolerance_s)
        self.refusals = RefusalLog(log)
        self.accepted = 0
        # Event ids being decided right now: a concurrent re-delivery waits for the first
        # (on a future made only when one does).
        self._inflight: dict[str, asyncio.Future[None] | None] = {}

    @classmethod
    def create(cls, ctx: IngressContext) -> WebhookIngress:
        """The factory `Server` calls (ingress/contract.py)."""
        return cls(ctx.sink, ctx.store)

    # -- the Ingress contract ---------------------------------------------------------

    async def start(self) -> None:
        """Nothing to open: requests arrive on the server's port."""

    async def reload(self, change: SiteReload) -> None:
        self.keys = WebhookKeys(change.site)

    def health(self) -> Health:
        return {"events_accepted": self.accepted, "requests_refused": dict(self.refusals.counts)}

    async def stop(self) -> None:
        """Nothing to release: the server's port closes with the HTTP server."""

    def routes(self) -> Sequence[web.RouteDef]:
        return [web.post(ROUTE, self.handle)]

    # -- checks -----------------------------------------------------------------------

    @property
    def max_body_bytes(self) -> int:
        return self.sink.site.config.webhook.max_body_bytes

    def _refuse(self, peer: str, status: int, reason: str, detail: str) -> Reply:
        self.refusals.refuse(status, reason, peer, detail)
        return _json(status, {"error": reason, "detail": detail})

    def _authenticate(
        self, headers: Mapping[str, str], body: bytes, obj: object, now: datetime
    ) -> tuple[SignedHeaders | None, str | None]:
        """Returns the signed headers (if signed) and the device the credential is bound to."""
        if "webhook-signature" in headers or "webhook-id" in headers:
            signed = SignedHeaders.from_headers(headers)
            tolerance = self.sink.site.config.webhook.tolerance_s
            device = _body_device(obj)
            device_key = self.keys.device_keys.get(device) if device else None
            keys = [*([device_key] if device_key else []), *self.keys.site_keys]
            if not keys:
                raise WebhookAuthError("no webhook secret is configured for this device")
            matched = verify_signature(keys, signed, body, now, tolerance)
            # A device's own key binds the request to that device; the site key does not.
            bound = device if device_key is not None and matched == 0 else None
            return signed, bound
        auth = headers.get("authorization")
        if auth is None:
            raise WebhookAuthError("no webhook signature and no bearer token")
        device = _body_device(obj)
        token = self.keys.device_tokens.get(device) if device else None
        # The device's own token binds the request to it; an API token (a PBX or other
        # integration) may speak for any device.
        tokens = [*([token] if token else []), *self.keys.api_tokens]
        if not tokens:
            raise WebhookAuthError("no token is configured for this device")
        matched = verify_bearer(tokens, auth)
        return None, device if token is not None and matched == 0 else None

    async def _decide_once(self, event: Event, *, keyed: bool) -> Decision:
        """Submit `event` unless an event with its id is stored or being decided.

        A concurrent re-delivery of the same id waits for the first one and then finds
        it stored (DuplicateEventError) or, if the first failed, is decided itself.
        Raises DuplicateEventError or StoreUnavailableError.
        """
        if not keyed:  # a fresh id of ours: nobody else can have it
            return await self.sink.submit_event(event)
        inflight = self._inflight
        while event.id in inflight:
            first = inflight[event.id]
            if first is None:  # the first re-delivery to wait makes the future
                first = inflight[event.id] = asyncio.get_running_loop().create_future()
            await asyncio.shield(first)
        inflight[event.id] = None  # registered before any await: no gap
        try:
            if await self.store.event_exists(event.id):
                raise DuplicateEventError(event.id)
            return await self.sink.submit_event(event)
        finally:
            waiting = inflight.pop(event.id)
            if waiting is not None:
                waiting.set_result(None)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp route: reads the body (bounded) and answers what `accept` says."""
        peer = request.remote or "?"
        limit = self.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            status, reply = self._refuse(peer, 413, "body too large", f"more than {limit} bytes")
        else:
            try:
                # Whole, however framed or split (the guard middleware has usually read
                # it already, bounded to the route's limit, and read() gives it back).
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                body = b"x" * (limit + 1)  # accept() refuses it as too large
            status, reply = await self.accept(request.headers, body, peer)
        return web.Response(body=reply, status=status, content_type="application/json")

    async def accept(self, headers: Mapping[str, str], body: bytes, peer: str) -> Reply:
        """Check, decide and commit one posted event; the reply to send.

        `headers` must answer lower-case names (a case-insensitive mapping, or a dict
        whose keys were lower-cased).
        """
        now = self.sink.now()
        limit = self.max_body_bytes
        if len(body) > limit:
            return self._refuse(peer, 413, "body too large", f"more than {limit} bytes")
        try:
            obj: object = decode_json(body)
            malformed: PayloadError | None = None
        except PayloadError as exc:
            obj, malformed = None, exc
        try:
            signed, bound_device = self._authenticate(headers, body, obj, now)
        except WebhookAuthError as exc:
            return self._refuse(peer, 401, "unauthorized", str(exc))
        if signed is not None and not self.replay.check_and_add(signed.msg_id, now.timestamp()):
            return self._refuse(
                peer, 409, "replayed", f"webhook-id {signed.msg_id} was already used"
            )
        try:
            if malformed is not None:
                raise malformed
            req = check_event_object(obj)
        except PayloadError as exc:
            return self._refuse(peer, 400, "malformed", str(exc))
        if bound_device is not None and req.device != bound_device:
            return self._refuse(peer, 401, "unauthorized", "credential is for another device")
        if req.id is not None:
            event_id = f"{req.device}:{req.id}"
        elif signed is not None:
            event_id = f"{req.device}:wh:{signed.msg_id}"
        else:
            event_id = new_id()
        try:
            event = self.sink.normalise(raw_event(req, event_id), now)
        except UnknownReferenceError as exc:
            return self._refuse(peer, 422, "unknown", str(exc))
        try:
            decision = await self._decide_once(
                event, keyed=req.id is not None or signed is not None
            )
        except DuplicateEventError:
            # A sender retrying after a lost answer gets what the first delivery got.
            try:
                incident_id = await self.store.event_incident(event_id)
            except StoreError:
                incident_id = None
            return _json(200, {"event_id": event_id, "incident_id": incident_id, "duplicate": True})
        except StoreUnavailableError as exc:
            return self._refuse(peer, 503, "store unavailable", str(exc))
        self.accepted += 1
        return _json(
            202,
            {
                "event_id": event_id,
                "incident_id": decision.incident_id,
                "suppressed": decision.event is not None and decision.event.suppressed,
                "actions": [a.id for a in decision.actions],
            },
        )


if TYPE_CHECKING:  # mypy proves the webhook satisfies the Ingress protocol
    from callpoint.ingress.contract import Ingress, IngressFactory

    def _is_an_ingress(w: WebhookIngress) -> Ingress:
        return w

    _factory: IngressFactory = WebhookIngress.create
