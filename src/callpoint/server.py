"""`callpoint serve`: start-up and shutdown in one place, in a fixed order.

Start: config -> store -> runtime (restores open incidents) -> outbox and outputs ->
ONVIF bridge -> HTTP. Stop: the reverse. A config reload (SIGHUP or the API) is validated
in full before it replaces the running one; a bad file is reported and changes nothing.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from callpoint.actions.console_push import ConsolePushExecutor
from callpoint.actions.http_call import HttpCallExecutor
from callpoint.actions.onvif_devices import OnvifDevicePool
from callpoint.actions.onvif_io import OnvifIoExecutor
from callpoint.actions.onvif_ptz import OnvifPtzExecutor
from callpoint.actions.outbox import OutboxRunner
from callpoint.bridge import OnvifBridge
from callpoint.clock import SYSTEM_CLOCK, Clock
from callpoint.config import ConfigError, Site, load_site
from callpoint.console.accounts import AccountStore
from callpoint.console.api import Api, request_actor, token_middleware
from callpoint.console.live import outcome_live
from callpoint.console.openapi import openapi
from callpoint.console.sessions import SESSION_COOKIE, SessionManager, session_middleware
from callpoint.console.web import WebConsole
from callpoint.console.web import is_public as web_public
from callpoint.engine import Decision
from callpoint.ingress.device_http import DeviceFirstSite, DeviceHttpFront
from callpoint.ingress.onvif_events import OnvifEventIngress, targets_from_site
from callpoint.ingress.webhook import WebhookIngress
from callpoint.media.snapshots import SnapshotService
from callpoint.model import Action, ActionOutcome, AuditRecord, new_id
from callpoint.runtime import Runtime
from callpoint.store.sqlite import SqliteStore
from callpoint.syslog.site_outputs import SiteSyslog

log = logging.getLogger(__name__)


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


class Server:
    """One callpoint node: owns the store, runtime, HTTP server and background work."""

    def __init__(self, options: ServeOptions, clock: Clock = SYSTEM_CLOCK) -> None:
        self.options = options
        self.clock = clock.now
        self.site: Site = load_site(options.config)  # raises ConfigError: refuse to start
        self.store = SqliteStore(
            options.db, synchronous="FULL" if options.synchronous == "FULL" else "NORMAL"
        )
        self.runtime = Runtime(self.site, self.store, clock=clock)
        self.webhook = WebhookIngress(self.runtime)
        self.http_executor = HttpCallExecutor()
        # preset/home/relay/door go to ONVIF; a target without an endpoint fails at once.
        self.onvif_pool = OnvifDevicePool(lambda: self.site)
        self.snapshots = SnapshotService(self.onvif_pool)
        self.outbox = OutboxRunner(
            self.store,
            [
                ConsolePushExecutor(self.runtime.hub),
                self.http_executor,
                OnvifPtzExecutor(self.onvif_pool),
                OnvifIoExecutor(self.onvif_pool),
            ],
            listener=self._on_outcome,
        )
        self.runtime.dispatcher = self.outbox
        self.runtime.listeners.append(self._on_decision)
        self.syslog = SiteSyslog(self.site.config.outputs.syslog)
        self.syslog_config = self.site.config.outputs
        self.accounts = AccountStore(options.db)  # console users, in the same SQLite file
        self.sessions = SessionManager(self.accounts)
        public = self.site.config.server.public_url
        self.onvif_events = OnvifEventIngress(
            targets_from_site(self.site),
            self.runtime.submit_event,
            notify_base=str(public) if public is not None else None,
        )
        self.bridge = OnvifBridge(self.runtime)
        self._runner: web.AppRunner | None = None
        self.front: DeviceHttpFront | None = None
        self.url = ""
        self._started = time.monotonic()

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        await self.syslog.start()
        await asyncio.to_thread(self.accounts.open)
        await self.runtime.start()
        await self.outbox.start()
        await self.bridge.start()
        app = self.build_app()
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        host, port = split_listen(self.options.listen or self.site.config.server.listen)
        # Device event posts are served by a lean front; every other request by aiohttp.
        site = DeviceFirstSite(self._runner, self.webhook, host, port, backlog=1024)
        await site.start()
        self.front = site.front
        bound = self._runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in str(bound[0]) else str(bound[0])
        self.url = f"http://{shown}:{bound[1]}"
        tune_gc()
        log.info("callpoint serving %s on %s", self.site.config.site.name, self.url)
        await self.onvif_events.start()  # after HTTP: Notify deliveries need the route

    async def stop(self) -> None:
        await self.onvif_events.stop()
        if self._runner is not None:
            self.runtime.hub.close_all()  # open streams would hold cleanup() for a minute
            await self._runner.cleanup()
            self._runner = None
        await self.bridge.stop()
        await self.outbox.stop()
        await self.http_executor.close()
        await self.snapshots.close()
        await self.onvif_pool.close()
        await self.runtime.stop()
        await self.syslog.close()
        self.accounts.close()
        await self.store.close()

    def install_signal_handlers(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload("SIGHUP")))
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)

    def _on_decision(self, decision: Decision) -> None:
        self.syslog.decision(decision)
        later = [a.due_at for a in decision.actions if a.due_at is not None]
        if later:
            self.outbox.notify(min(later))

    def _on_outcome(self, action: Action, outcome: ActionOutcome) -> None:
        self.syslog.outcome(action, outcome)
        # Outcomes recorded in one group commit finish in the same loop turn: one message.
        self.runtime.hub.queue("changes", "outcomes", outcome_live(action, outcome))

    # -- config reload ----------------------------------------------------------------

    async def reload(self, actor: str) -> tuple[bool, list[str]]:
        """Validate the config file again; swap it in only if it is entirely valid."""
        now = self.clock()
        try:
            site = load_site(self.options.config)
        except ConfigError as exc:
            issues = [str(i) for i in exc.issues]
            log.error(  # noqa: TRY400  # the issues are the report; a traceback adds nothing
                "config reload by %s refused; keeping the running config:\n%s",
                actor,
                "\n".join(issues),
            )
            await self.runtime.audit(
                AuditRecord(
                    new_id(),
                    now,
                    actor,
                    "config_reload_refused",
                    str(self.options.config),
                    {"issues": len(issues), "first": issues[0] if issues else ""},
                )
            )
            return False, issues
        self.site = site
        self.runtime.reload(site, actor)
        self.webhook.reload(site)
        await self.onvif_events.reload(targets_from_site(site))
        if site.config.outputs != self.syslog_config:
            old, self.syslog = self.syslog, SiteSyslog(site.config.outputs.syslog)
            await self.syslog.start()
            await old.close()
            self.syslog_config = site.config.outputs
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

    @staticmethod
    def _public(request: web.Request) -> bool:
        if request.path == "/healthz" or web_public(request):
            return True
        if request.path.startswith("/onvif/notify/") and request.method == "POST":
            return True  # the unguessable per-subscription key in the path is the check
        # The webhook authenticates devices itself (signature or device token).
        return request.path == "/api/v1/events" and request.method == "POST"

    @web.middleware
    async def _webhook_first(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Device events skip the console's session and token layers: the webhook checks
        its own signature or token, and it is the one route that must be cheap. A request
        carrying a session cookie still takes the whole chain (CSRF and roles apply)."""
        if (
            request.method == "POST"
            and request.path == "/api/v1/events"
            and SESSION_COOKIE not in request.cookies
        ):
            return await self.webhook.handle(request)
        return await handler(request)

    def build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                self._webhook_first,
                session_middleware(self.sessions),
                token_middleware(self._tokens, self._public),
            ],
            client_max_size=1024 * 1024,
        )
        api = Api(self.runtime, request_actor, self.reload)
        app.add_routes(
            [
                web.post("/api/v1/events", self.webhook.handle),
                web.get("/healthz", self.healthz),
                web.get("/openapi.json", self.openapi),
                *self.onvif_events.routes(),
                *api.routes(),
                *WebConsole(self.runtime, self.accounts, self.sessions, self.snapshots).routes(),
            ]
        )
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        ok = self.runtime.store_ok
        body = {
            "status": "ok" if ok else "degraded",
            "store": "ok" if ok else "failing",
            "site": self.site.config.site.name,
            "config_generation": self.runtime.config_generation,
            "uptime_s": round(time.monotonic() - self._started, 1),
            "events_accepted": self.webhook.accepted,
            "requests_refused": dict(self.webhook.refusals.counts),
            "stream_clients": self.runtime.hub.consoles_connected(),
            "syslog_dropped": self.syslog.dropped,
            "onvif_event_devices": len(self.onvif_events.workers),
            "onvif_event_devices_flowing": self.onvif_events.flowing(),
            "http_front": self._front_health(),
        }
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
