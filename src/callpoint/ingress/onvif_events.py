"""ONVIF events ingress: one kept-alive subscription per configured device, mapped to Events.

Every intercom and camera with an ``onvif:`` endpoint (and ``event_mode`` not ``off``)
gets a :class:`DeviceSubscription`. Messages are mapped by the device's rules (its
``events`` list, then the common ONVIF topics) and submitted like any other event.

Raw facts go through the site's one normaliser (`EventSink.normalise`), as every other
adapter's do: location and priority come from the site, never from the subscription.

Supervision: every state change is logged, counted and offered to ``on_state``; the
changes that matter to an operator become events through the same path: ``fault`` when a
device's events stop flowing (with the state, the reason and the failure count), again
when the reason changes, and ``fault_cleared`` when they flow again. Routine renewals are
state changes too, but raise no event (2,000 devices renewing every minute would bury
the event log).

Scale: one :class:`SoapHttp` (one keep-alive pool) for every device, set-ups bounded by
a semaphore, first subscriptions spread over ``start_jitter_s``, retries jittered.
Base-notification delivery arrives at ``POST /onvif/notify/{key}`` (see :meth:`routes`),
the key being an unguessable per-worker token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from callpoint.clock import SYSTEM_CLOCK, Clock
from callpoint.codecs.soap import parse_envelope
from callpoint.component import Health, SiteReload
from callpoint.config.models import OnvifEndpoint
from callpoint.config.site import Site
from callpoint.ingress.contract import EventSink, IngressContext, RawEvent
from callpoint.ingress.normalise import UnknownReferenceError, source_locations
from callpoint.ingress.onvif_lifecycle import HEALTHY, SubscriptionState, backoff_s
from callpoint.ingress.onvif_properties import PropertyMemory
from callpoint.ingress.onvif_subscription import (
    DeviceSubscription,
    OnvifTarget,
    SubscriptionSettings,
)
from callpoint.model import Attributes, Event, EventType, Source
from callpoint.onvif.errors import OnvifError, RemoteProtocolError
from callpoint.onvif.eventmap import DEFAULT_RULES, EventRule, map_event
from callpoint.onvif.events import parse_notify
from callpoint.onvif.notification import NotificationMessage
from callpoint.onvif.transport import SoapHttp
from callpoint.onvif.xmlsafe import MAX_SOAP_BYTES

log = logging.getLogger(__name__)

StateListener = Callable[[str, SubscriptionState, SubscriptionState, str], None]

MAX_CONCURRENT_SETUPS = 64
"""Devices connecting and subscribing at once (a site power-up must not stampede)."""
SUBMIT_RETRIES = 3
"""A store hiccup is retried this often before a message is given up (and logged)."""
COMPONENT = "onvif_events"


def rules_for(endpoint: OnvifEndpoint) -> tuple[EventRule, ...]:
    """A device's own rules, then (unless switched off) the common ONVIF topics."""
    own = tuple(
        EventRule(r.topic, r.event.value, r.item, r.value, dict(r.source)) for r in endpoint.events
    )
    return own + (DEFAULT_RULES if endpoint.default_events else ())


def targets_from_site(site: Site) -> list[OnvifTarget]:
    """Every device and camera whose ONVIF events are wanted."""
    found: list[OnvifTarget] = []
    locations = source_locations(site)
    entries: list[tuple[str, str, OnvifEndpoint | None]] = [
        (d.id, d.location, d.onvif) for d in site.config.devices
    ]
    entries += [(c.id, locations[c.id], c.onvif) for c in site.config.cameras]
    for ident, location, endpoint in entries:
        if endpoint is None or endpoint.event_mode == "off":
            continue
        found.append(
            OnvifTarget(
                device_id=ident,
                location=location,
                url=str(endpoint.url),
                username=endpoint.username,
                password=endpoint.password.value.get_secret_value(),
                rules=rules_for(endpoint),
                mode=endpoint.event_mode,
            )
        )
    return found


class OnvifEventIngress:
    """Starts, supervises and stops the subscription workers; maps what they receive."""

    def __init__(
        self,
        targets: Iterable[OnvifTarget],
        sink: EventSink,
        *,
        http: SoapHttp | None = None,
        settings: SubscriptionSettings | None = None,
        notify_base: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        on_state: StateListener | None = None,
        max_concurrent_setups: int = MAX_CONCURRENT_SETUPS,
        rng: random.Random | None = None,
    ) -> None:
        self.targets = {t.device_id: t for t in targets}
        self.settings = settings or SubscriptionSettings()
        self.notify_base = notify_base
        self.time = clock  # every worker's renewals, pulls and backoffs wait on it
        self.clock = clock.now
        self.on_state = on_state
        self.transitions: Counter[SubscriptionState] = Counter()
        self.events_submitted = 0
        self.events_lost = 0
        self.unmapped = 0
        self._sink = sink
        self._http = http
        self._owns_http = http is None
        self._gate = asyncio.Semaphore(max_concurrent_setups)
        self._rng = rng or random.Random()
        self.workers: dict[str, DeviceSubscription] = {}
        self._by_key: dict[str, DeviceSubscription] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._faulted: dict[str, str] = {}  # device -> the reason last reported
        self._pending: set[asyncio.Task[None]] = set()  # supervision submits in flight
        self._properties: dict[str, PropertyMemory] = {}  # survives re-created subscriptions

    @classmethod
    def create(cls, ctx: IngressContext) -> OnvifEventIngress:
        """The factory `Server` calls (ingress/contract.py)."""
        return cls(
            targets_from_site(ctx.sink.site), ctx.sink, notify_base=ctx.public_url, clock=ctx.clock
        )

    # --- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Start one worker per target (each waits a random part of start_jitter_s)."""
        if self._http is None:
            self._http = SoapHttp()
        for target in self.targets.values():
            self._spawn(target)
        log.info("ONVIF events: %d devices", len(self.targets))

    def _spawn(self, target: OnvifTarget) -> None:
        worker = self._new_worker(target)
        name = f"onvif-events-{target.device_id}"
        self._tasks[target.device_id] = asyncio.create_task(self._keep(worker), name=name)

    def _new_worker(self, target: OnvifTarget) -> DeviceSubscription:
        assert self._http is not None
        worker = DeviceSubscription(
            target,
            self._http,
            deliver=self._deliver,
            report=self._report,
            settings=self.settings,
            gate=self._gate,
            notify_base=self.notify_base,
            rng=random.Random(self._rng.random()),
            clock=self.time,
        )
        old = self.workers.get(target.device_id)
        if old is not None:
            self._by_key.pop(old.notify_key, None)
        self.workers[target.device_id] = worker
        self._by_key[worker.notify_key] = worker
        return worker

    async def _keep(self, worker: DeviceSubscription) -> None:
        """Run the device's worker; should it crash (a bug), report it and start afresh."""
        target = worker.target
        crashes = 0
        while True:
            try:
                await worker.run()
            except Exception as exc:  # supervisor loop: log, report, restart with backoff
                crashes += 1
                log.exception("%s: subscription worker crashed", target.device_id)
                why = f"worker crashed: {type(exc).__name__}: {exc}"
                if self._faulted.get(target.device_id) != why:
                    self._faulted[target.device_id] = why
                    self._supervision_event(worker, EventType.FAULT, worker.state, why)
                await self.time.sleep(backoff_s(crashes, self._rng.random()))
                worker = self._new_worker(target)
            else:
                return

    async def _retire(self, device_id: str) -> None:
        task = self._tasks.pop(device_id, None)
        worker = self.workers.pop(device_id, None)
        if worker is not None:
            self._by_key.pop(worker.notify_key, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self) -> None:
        """Cancel every worker. No Unsubscribe: subscriptions lapse (module doc)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()  # all at once: 2,000 devices stop in one loop turn, not one by one
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self.workers.clear()
        self._by_key.clear()
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=SUBMIT_RETRIES)
        if self._owns_http and self._http is not None:
            await self._http.close()
            self._http = None

    async def reload(self, change: SiteReload) -> None:
        """Follow the new site's devices (see `retarget`)."""
        await self.retarget(targets_from_site(change.site))

    async def retarget(self, targets: Iterable[OnvifTarget]) -> None:
        """Restart the workers whose target changed; start new ones, stop removed ones."""
        new = {t.device_id: t for t in targets}
        for device_id, old in list(self.targets.items()):
            if new.get(device_id) != old:
                await self._retire(device_id)
                self._faulted.pop(device_id, None)
                self._properties.pop(device_id, None)
        for device_id, target in new.items():
            if device_id not in self.workers:
                self._spawn(target)
        self.targets = new

    # --- reporting --------------------------------------------------------------------

    def status(self) -> dict[str, str]:
        """Each device's state now."""
        return {d: str(w.state) for d, w in self.workers.items()}

    def flowing(self) -> int:
        """How many devices' events flow now."""
        return sum(w.healthy for w in self.workers.values())

    def health(self) -> Health:
        return {
            "onvif_event_devices": len(self.workers),
            "onvif_event_devices_flowing": self.flowing(),
        }

    def _report(
        self, worker: DeviceSubscription, old: SubscriptionState, new: SubscriptionState, why: str
    ) -> None:
        device_id = worker.target.device_id
        self.transitions[new] += 1
        log.debug("%s: %s -> %s %s", device_id, old, new, why)
        if self.on_state is not None:
            self.on_state(device_id, old, new, why)
        if new is SubscriptionState.ERROR and self._faulted.get(device_id) != why:
            self._faulted[device_id] = why
            log.warning("%s: ONVIF events lost (%s)", device_id, why)
            self._supervision_event(worker, EventType.FAULT, old, why)
        elif (
            new in HEALTHY
            and old is SubscriptionState.SUBSCRIBING
            and self._faulted.pop(device_id, None) is not None
        ):
            log.info("%s: ONVIF events flowing again (%s)", device_id, worker.mode)
            self._supervision_event(worker, EventType.FAULT_CLEARED, new, "")

    def _supervision_event(
        self, worker: DeviceSubscription, kind: EventType, state: SubscriptionState, why: str
    ) -> None:
        now = self.clock()
        target = worker.target
        attrs: dict[str, str | int] = {
            "component": COMPONENT,
            "state": str(state),  # where it failed, or where it is now
            "mode": worker.mode,
            "failures": worker.failures,
        }
        if why:
            attrs["reason"] = why[:500]
        raw = RawEvent(target.device_id, kind, Source.SUPERVISION, now, attrs)
        try:
            event = self._sink.normalise(raw, now)
        except UnknownReferenceError:
            # Only a device a reload has just removed: its worker is being retired.
            log.warning("%s: %s not reported: no longer in the site", target.device_id, kind)
            return
        # Reported from inside the state change: submit on its own task, kept referenced.
        task = asyncio.create_task(self._submit_one(event), name=f"supervision-{target.device_id}")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # --- events -----------------------------------------------------------------------

    def map_messages(
        self, target: OnvifTarget, messages: Iterable[NotificationMessage]
    ) -> list[Event]:
        """The events a batch of notifications becomes (unmatched ones are counted)."""
        now = self.clock()
        out: list[Event] = []
        memory = self._properties.setdefault(target.device_id, PropertyMemory())
        for raw in messages:
            note, recovered = memory.observe(raw)
            if note is None:
                continue  # a state we knew, repeated by a new subscription
            mapped = map_event(target.rules, note)
            if mapped is None:
                self.unmapped += 1
                continue
            attributes: Attributes = mapped.attributes
            if recovered:
                # Changed while the subscription was lost: seen in the new one's states.
                attributes = {**mapped.attributes, "recovered": True}
            fact = RawEvent(
                target.device_id,
                mapped.event_type,
                Source.ONVIF,
                note.message.utc_time or now,
                attributes,
            )
            try:
                out.append(self._sink.normalise(fact, now))
            except UnknownReferenceError as exc:
                self.unmapped += 1
                log.warning("%s: ONVIF event dropped: %s", target.device_id, exc)
        return out

    async def _deliver(
        self, worker: DeviceSubscription, messages: tuple[NotificationMessage, ...]
    ) -> None:
        for event in self.map_messages(worker.target, messages):
            await self._submit_one(event)

    async def _submit_one(self, event: Event) -> None:
        for attempt in range(SUBMIT_RETRIES):
            try:
                await self._sink.submit_event(event)
            except Exception:  # the sink is the store: any failure there is retried, then logged
                log.exception("submitting %s (attempt %d) failed", event.type, attempt + 1)
                await self.time.sleep(0.2 * (attempt + 1))
            else:
                self.events_submitted += 1
                return
        self.events_lost += 1

    # --- base notification ------------------------------------------------------------

    def routes(self) -> Sequence[web.RouteDef]:
        """The Notify consumer endpoint, for callpoint's aiohttp application."""
        return [web.post("/onvif/notify/{key}", self.handle_notify)]

    async def handle_notify(self, request: web.Request) -> web.Response:
        """A device POSTs wsnt:Notify here; answered 202 once the events are submitted."""
        worker = self._by_key.get(request.match_info["key"])
        if worker is None:
            raise web.HTTPNotFound()
        if (request.content_length or 0) > MAX_SOAP_BYTES:
            raise web.HTTPRequestEntityTooLarge(MAX_SOAP_BYTES, request.content_length or 0)
        data = await request.read()  # also capped by the application's client_max_size
        try:
            if len(data) > MAX_SOAP_BYTES:
                raise RemoteProtocolError(f"Notify over {MAX_SOAP_BYTES} bytes")
            messages = parse_notify(parse_envelope(data).body)
        except OnvifError as exc:
            log.info("%s: bad Notify: %s", worker.target.device_id, exc)
            return web.Response(status=400, text="bad Notify")
        await worker.notified(messages)
        return web.Response(status=202)


if TYPE_CHECKING:  # mypy proves the ONVIF events ingress satisfies the Ingress protocol
    from callpoint.ingress.contract import Ingress, IngressFactory

    def _is_an_ingress(i: OnvifEventIngress) -> Ingress:
        return i

    _factory: IngressFactory = OnvifEventIngress.create
