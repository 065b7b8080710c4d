"""`callpoint serve`: start-up and shutdown in one place, in a fixed order (`Server`).

A config reload (SIGHUP or the API) is all or nothing: the file is read and validated in
full (secrets decoded, tokens checked) before it replaces the running one; a bad file is
audited, answered 400 with every reason, and changes nothing. Every listener and ingress
is then given the new site; should one still fail, the old site is put back in force and
the failure is audited and reported the same way. Reloads run one at a time.
The bridge keeps the devices it started with (restart to add or remove bridged phones).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from callpoint.actions.console_push import ConsolePushExecutor
from callpoint.actions.executor import Executor
from callpoint.actions.http_call import HttpCallExecutor
from callpoint.actions.onvif_devices import OnvifDevicePool
from callpoint.actions.onvif_io import OnvifIoExecutor
from callpoint.actions.onvif_ptz import OnvifPtzExecutor
from callpoint.actions.outbox import OutboxRunner
from callpoint.bridge import OnvifBridge
from callpoint.clock import SYSTEM_CLOCK, Clock
from callpoint.component import Listener, SiteReload
from callpoint.config import ConfigError, Site, load_site
from callpoint.console.accounts import AccountStore
from callpoint.console.api import Api, request_actor, token_middleware
from callpoint.console.feed import ConsoleFeed
from callpoint.console.openapi import openapi
from callpoint.console.sessions import SESSION_COOKIE, SessionManager, session_middleware
from callpoint.console.web import WebConsole
from callpoint.console.web import is_public as web_public
from callpoint.engine import Decision
from callpoint.httpguard import ConnectionBook, guard_middleware, raise_nofile_limit
from callpoint.ingress.contract import Ingress, IngressContext, IngressFactory
from callpoint.ingress.device_http import DeviceFirstSite, DeviceHttpFront
from callpoint.ingress.onvif_events import OnvifEventIngress
from callpoint.ingress.webhook import ROUTE as WEBHOOK_ROUTE
from callpoint.ingress.webhook import WebhookIngress
from callpoint.media.snapshots import SnapshotService
from callpoint.model import Action, ActionOutcome, AuditRecord, new_id
from callpoint.onvif.xmlsafe import MAX_SOAP_BYTES
from callpoint.runtime import Runtime
from callpoint.store.sqlite import SqliteStore
from callpoint.syslog.site_outputs import SyslogListener

log = logging.getLogger(__name__)

AnIngress = TypeVar("AnIngress", bound=Ingress)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    config: Path
    db: Path
    listen: str | None = None  # overrides server.listen from the config
    synchronous: str = "NORMAL"


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


# Allocations between young collections: a busy server allocates fast, and the default
# (700) runs a young collection every few requests.
GC_YOUNG_THRESHOLD = 50_000
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
# The store's writer thread needs the GIL back after every SQLite statement; at 5 ms a busy
# event loop made each batch wait tens of ms (bench/README.md: at 1,500 events/s the p50
# went from 141 ms to 8 ms).
SWITCH_INTERVAL_S = 0.001


def tune_gc() -> None:
    """Keep garbage collection pauses and GIL hand-overs off the request path.

    What start-up built (config, indexes, code) lives as long as the process: frozen, the
    full collections no longer walk it. A higher young threshold means fewer, larger
    young collections; engine values are immutable tuples, so little lives long.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    if os.environ.get("CALLPOINT_GC_DEFAULTS"):  # for comparison in benchmarks
        return
    gc.collect()
    gc.freeze()
    _, mid, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, mid, old)


LOGIN_BODY_BYTES = 4096  # a user name, a password and a CSRF token, form-encoded
API_BODY_BYTES = 64 * 1024  # a note, an ack or a door command; nothing larger is posted

INGRESSES: tuple[IngressFactory, ...] = (
    WebhookIngress.create,  # first: the listening port's lean front serves it
    OnvifEventIngress.create,
)
"""Every ingress adapter `serve` runs, in start order. A new protocol is one line here."""


class Server:
    """One callpoint node: owns the store, runtime, HTTP server and background work.

    It keeps three lists, each started in order and stopped in reverse:
    `listeners` (console feed, syslog, ONVIF bridge: told of every committed decision and
    recorded outcome), `executors` (carry out actions, behind the outbox) and `ingresses`
    (protocols in). Start: store -> listeners -> runtime (restores open incidents) ->
    outbox and executors -> HTTP (with every ingress's routes) -> ingresses. Stop: the
    reverse, except that the listeners stop last, after the runtime, so they are told of
    everything it committed.
    """

    def __init__(
        self,
        options: ServeOptions,
        clock: Clock = SYSTEM_CLOCK,
        *,
        ingresses: Sequence[IngressFactory] = INGRESSES,
    ) -> None:
        self.options = options
        self.clock = clock.now
        self.site: Site = load_site(options.config)  # raises ConfigError: refuse to start
        self.store = SqliteStore(
            options.db, synchronous="FULL" if options.synchronous == "FULL" else "NORMAL"
        )
        self.runtime = Runtime(self.site, self.store, clock=clock)
        self.runtime.listeners.append(self._on_decision)
        # Listeners, in the order they are told of a decision.
        self.feed = ConsoleFeed()
        self.syslog = SyslogListener(self.site.config.outputs)
        self.bridge = OnvifBridge(self.runtime, state_dir=options.db.parent, clock=clock)
        self.listeners: list[Listener] = [self.feed, self.syslog, self.bridge]
        # Executors: preset/home/relay/door go to ONVIF; a target without an endpoint
        # fails at once.
        self.http_executor = HttpCallExecutor()
        self.onvif_pool = OnvifDevicePool(lambda: self.site)
        self.snapshots = SnapshotService(self.onvif_pool)
        self.executors: list[Executor] = [
            ConsolePushExecutor(self.feed.hub),
            self.http_executor,
            OnvifPtzExecutor(self.onvif_pool),
            OnvifIoExecutor(self.onvif_pool),
        ]
        self.outbox = OutboxRunner(
            self.store, self.executors, clock=clock, listener=self._on_outcome
        )
        self.runtime.dispatcher = self.outbox
        self.accounts = AccountStore(options.db)  # console users, in the same SQLite file
        self.sessions = SessionManager(self.accounts)
        public = self.site.config.server.public_url
        context = IngressContext(
            self.runtime, self.store, str(public) if public is not None else None, clock
        )
        self.ingresses: list[Ingress] = [create(context) for create in ingresses]
        self._ingress_handlers = {r.handler for i in self.ingresses for r in i.routes()}
        self._runner: web.AppRunner | None = None
        self.front: DeviceHttpFront | None = None
        self.connections: ConnectionBook | None = None
        self.url = ""
        self._started = time.monotonic()
        self._reload_lock = asyncio.Lock()  # two SIGHUPs in a row must not interleave
        self._reload_tasks: set[asyncio.Task[tuple[bool, list[str]]]] = set()

    def ingress(self, kind: type[AnIngress]) -> AnIngress:
        """The running ingress adapter of this class (KeyError if there is none)."""
        for ingress in self.ingresses:
            if isinstance(ingress, kind):
                return ingress
        raise KeyError(kind.__name__)

    @property
    def webhook(self) -> WebhookIngress:
        return self.ingress(WebhookIngress)

    @property
    def onvif_events(self) -> OnvifEventIngress:
        return self.ingress(OnvifEventIngress)

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        await asyncio.to_thread(self.accounts.open)
        for listener in self.listeners:
            await listener.start()
        await self.runtime.start()
        await self.outbox.start()
        await self._start_http()
        tune_gc()
        log.info("callpoint serving %s on %s", self.site.config.site.name, self.url)
        for ingress in self.ingresses:  # after HTTP: Notify deliveries need the route
            await ingress.start()

    async def _start_http(self) -> None:
        app = self.build_app()
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        host, port = split_listen(self.options.listen or self.site.config.server.listen)
        raise_nofile_limit()  # before the book sizes its cap from it
        cfg = self.site.config.server
        self.connections = ConnectionBook(cfg.max_connections, cfg.max_connections_per_peer)
        # Device event posts are served by a lean front; every other request by aiohttp.
        site = DeviceFirstSite(
            self._runner, self.webhook, host, port, backlog=1024, book=self.connections
        )
        await site.start()
        self.front = site.front
        bound = self._runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in str(bound[0]) else str(bound[0])
        self.url = f"http://{shown}:{bound[1]}"

    async def stop(self) -> None:
        for ingress in reversed(self.ingresses):
            await ingress.stop()
        if self._runner is not None:
            self.feed.hub.close_all()  # open streams would hold cleanup() for a minute
            await self._runner.cleanup()
            self._runner = None
        await self.outbox.stop()
        for executor in reversed(self.executors):
            await executor.close()
        await self.snapshots.close()
        await self.onvif_pool.close()
        await self.runtime.stop()
        for listener in reversed(self.listeners):
            await listener.stop()
        self.accounts.close()
        await self.store.close()

    def install_signal_handlers(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, self._reload_on_signal)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)

    def _on_decision(self, decision: Decision) -> None:
        for listener in self.listeners:
            listener.on_decision(decision)
        later = [a.due_at for a in decision.actions if a.due_at is not None]
        if later:
            self.outbox.notify(min(later))

    def _on_outcome(self, action: Action, outcome: ActionOutcome) -> None:
        for listener in self.listeners:
            listener.on_outcome(action, outcome)

    # -- config reload ----------------------------------------------------------------

    def _reload_on_signal(self) -> None:
        task = asyncio.create_task(self.reload("SIGHUP"))
        self._reload_tasks.add(task)  # the loop holds tasks weakly
        task.add_done_callback(self._reload_tasks.discard)

    async def reload(self, actor: str) -> tuple[bool, list[str]]:
        """Validate the config file again; swap it in only if it is entirely valid.

        Returns (True, []) or (False, every reason); a refusal is logged and audited.
        """
        async with self._reload_lock:
            return await self._reload(actor)

    async def _refuse(self, actor: str, action: str, issues: list[str]) -> tuple[bool, list[str]]:
        log.error(  # the issues are the report; a traceback adds nothing
            "config reload by %s refused; keeping the running config:\n%s",
            actor,
            "\n".join(issues),
        )
        await self.runtime.audit(
            AuditRecord(
                new_id(),
                self.clock(),
                actor,
                action,
                str(self.options.config),
                {"issues": len(issues), "first": issues[0] if issues else ""},
            )
        )
        return False, issues

    async def _reload_components(self, site: Site, actor: str) -> list[str]:
        """Put `site` in force everywhere; what failed, by component (nothing is skipped)."""
        self.site = site
        self.runtime.reload(site, actor)
        change = SiteReload(site, self.runtime.config_generation, actor)
        failed: list[str] = []
        for component in (*self.listeners, *self.ingresses):
            try:
                await component.reload(change)
            except Exception as exc:  # any component: reported, not a 500
                log.exception("%s could not take the new config", type(component).__name__)
                failed.append(f"{type(component).__name__} could not take the new config: {exc}")
        return failed

    async def _reload(self, actor: str) -> tuple[bool, list[str]]:
        now = self.clock()
        try:
            # In a thread: a large file or a slow secret file must not stall the events.
            site = await asyncio.to_thread(load_site, self.options.config)
        except ConfigError as exc:
            return await self._refuse(actor, "config_reload_refused", [str(i) for i in exc.issues])
        old = self.site
        failed = await self._reload_components(site, actor)
        if failed:
            rollback = await self._reload_components(old, actor)
            return await self._refuse(actor, "config_reload_failed", failed + rollback)
        await self.runtime.audit(
            AuditRecord(
                new_id(),
                now,
                actor,
                "config_reload",
                str(self.options.config),
                {"generation": self.runtime.config_generation},
            )
        )
        return True, []

    # -- HTTP -------------------------------------------------------------------------

    def _tokens(self) -> dict[str, str]:
        return {
            t.name: t.token.value.get_secret_value() for t in self.site.config.server.api_tokens
        }

    def _public(self, request: web.Request) -> bool:
        if request.path == "/healthz" or web_public(request):
            return True
        # Ingress routes (device event posts, ONVIF Notify deliveries with their
        # unguessable per-subscription key) authenticate their devices themselves.
        return request.match_info.route.handler in self._ingress_handlers

    @web.middleware
    async def _webhook_first(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Device events skip the console's session and token layers: the webhook checks
        its own signature or token, and it is the one route that must be cheap. A request
        carrying a session cookie still takes the whole chain (CSRF and roles apply)."""
        if (
            request.method == "POST"
            and request.path == WEBHOOK_ROUTE
            and SESSION_COOKIE not in request.cookies
        ):
            return await self.webhook.handle(request)
        return await handler(request)

    def _body_limit(self, request: web.Request) -> int:
        """The largest body a route takes (read before any credential is checked)."""
        path = request.path
        if path == WEBHOOK_ROUTE:
            return self.site.config.webhook.max_body_bytes
        if path.startswith("/onvif/notify/"):
            return MAX_SOAP_BYTES
        if path == "/login":
            return LOGIN_BODY_BYTES
        return API_BODY_BYTES

    def _refused(self, request: web.Request, status: int, error: str, detail: str) -> None:
        self.webhook.refusals.refuse(status, error, request.remote or "?", detail)

    def build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                guard_middleware(self._body_limit, refused=self._refused),
                self._webhook_first,
                session_middleware(self.sessions),
                token_middleware(self._tokens, self._public),
            ],
            client_max_size=1024 * 1024,
        )
        api = Api(self.runtime, self.feed.hub, request_actor, self.reload)
        console = WebConsole(self.runtime, self.accounts, self.sessions, self.snapshots)
        app.add_routes(
            [
                web.get("/healthz", self.healthz),
                web.get("/openapi.json", self.openapi),
                *(route for ingress in self.ingresses for route in ingress.routes()),
                *api.routes(),
                *console.routes(),
            ]
        )
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        problem = self.runtime.store_problem()
        ok = problem is None
        body: dict[str, object] = {
            "status": "ok" if ok else "degraded",
            "store": "ok" if ok else "failing",
            **({} if problem is None else {"store_problem": problem}),
            "site": self.site.config.site.name,
            "config_generation": self.runtime.config_generation,
            "uptime_s": round(time.monotonic() - self._started, 1),
        }
        for component in (*self.ingresses, *self.listeners):
            body.update(component.health())
        body["http_front"] = self._front_health()
        if self.connections is not None:
            body["connections"] = self.connections.health()
        return web.json_response(body, status=200 if ok else 503)

    def _front_health(self) -> dict[str, int]:
        """The listening port's device front: its open connections, the event posts it
        answered, and the connections it gave to the general HTTP server."""
        front = self.front
        if front is None:
            return {}
        return {
            "connections": len(front.connections),
            "served": front.served,
            "handed_over": front.handed_over,
        }

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(openapi())


async def serve(options: ServeOptions, ready: Callable[[Server], None] | None = None) -> None:
    """Run until SIGTERM/SIGINT; SIGHUP reloads the config."""
    server = Server(options)
    await server.start()
    stop = asyncio.Event()
    server.install_signal_handlers(stop)
    if ready is not None:
        ready(server)
    try:
        await stop.wait()
    finally:
        await server.stop()
