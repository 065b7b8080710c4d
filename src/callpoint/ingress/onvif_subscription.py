"""One device's event subscription kept alive: create, pull or listen, renew, recover.

The worker walks the table in :mod:`onvif_lifecycle`. Pulling and renewing take turns on
one coroutine, so a renewal never overlaps a pull: whatever the device queued meanwhile
is in the next PullMessages, and nothing is lost across a renewal.

Field quirks handled (ONVIF Core 9.1 and what devices really do):

- InitialTerminationTime is always sent (some devices refuse the request without it); if
  the device refuses the relative form, the absolute form (on the device's clock) is
  tried, then none at all.
- A granted lifetime that makes no sense for the relative time we asked (already over,
  or a tiny fraction of it) switches the worker to absolute termination times.
- Stopping does not Unsubscribe: some devices then cancel *every* subscription, the
  VMS's included. The subscription lapses at its termination time instead.
- A device that rebooted forgets its subscriptions and answers ResourceUnknown (or
  times out): that is a loss, reported, and the subscription is re-created with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from callpoint.clock import SYSTEM_CLOCK, Clock
from callpoint.ingress.onvif_lifecycle import (
    HEALTHY,
    SubscriptionState,
    Trigger,
    backoff_s,
    next_state,
)
from callpoint.onvif import events
from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.errors import (
    InvalidArgsFault,
    NotAuthorizedFault,
    OnvifError,
    ResourceUnknownFault,
    SenderFault,
    SoapFault,
    TransportError,
)
from callpoint.onvif.eventmap import EventRule
from callpoint.onvif.notification import NotificationMessage
from callpoint.onvif.transport import SoapHttp

log = logging.getLogger(__name__)

PULLPOINT, NOTIFY = "pullpoint", "notify"
MIN_PULL_INTERVAL_S = 1.0
"""A device that answers PullMessages at once despite the Timeout is not polled faster."""
MIN_PULL_TIMEOUT_S = 0.5
"""A long poll shorter than this is not worth sending: renew first."""
MIN_RENEW_INTERVAL_S = 1.0
"""Nor renewed faster, whatever short lifetime it grants."""
RENEW_AT = 0.6
"""Renew when this fraction of the granted lifetime has passed: room for two retries."""
SHORT_GRANT = 0.1
"""A grant under this fraction of a relative request means the device misread it."""
PULL_RETRIES = 2
"""A PullMessages that times out is tried again this often on the same subscription
(while it cannot have expired yet) before it is declared lost: re-creating costs three
calls and leaves an orphan subscription on the device, which an overloaded device can
least afford."""
PULL_RETRY_PAUSE_S = 1.0


@dataclass(frozen=True, slots=True)
class OnvifTarget:
    """What the manager knows about one device whose events are wanted."""

    device_id: str
    location: str
    url: str
    username: str | None
    password: str | None
    rules: tuple[EventRule, ...]
    mode: str = PULLPOINT  # preferred delivery: pullpoint or notify


@dataclass(frozen=True, slots=True)
class SubscriptionSettings:
    """Timing of every worker (seconds)."""

    lifetime_s: float = 120.0  # requested termination, relative to now
    pull_timeout_s: float = 20.0  # PullMessages long-poll
    message_limit: int = 100
    call_timeout_s: float = 10.0
    start_jitter_s: float = 5.0  # spread the first subscriptions of many devices


Deliver = Callable[["DeviceSubscription", tuple[NotificationMessage, ...]], Awaitable[None]]
Report = Callable[["DeviceSubscription", SubscriptionState, SubscriptionState, str], None]


class DeviceSubscription:
    """Keeps one device's PullPoint (or Notify subscription) alive; see the module doc."""

    def __init__(
        self,
        target: OnvifTarget,
        http: SoapHttp,
        *,
        deliver: Deliver,
        report: Report,
        settings: SubscriptionSettings,
        gate: asyncio.Semaphore,
        notify_base: str | None = None,
        rng: random.Random | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.target = target
        self.settings = settings
        self.device = OnvifDevice(
            target.url,
            target.username,
            target.password,
            http=http,
            timeout_s=settings.call_timeout_s,
        )
        self.state = SubscriptionState.IDLE
        self.mode = target.mode if (target.mode == PULLPOINT or notify_base) else PULLPOINT
        self.notify_key = secrets.token_urlsafe(18)
        self.notify_url = (
            f"{notify_base.rstrip('/')}/onvif/notify/{self.notify_key}" if notify_base else None
        )
        self.subscription: events.Subscription | None = None
        self.failures = 0
        self.last_error = ""
        self.delivered = 0
        self.renewals = 0
        self.pull_retries = 0
        self.absolute_times = False
        self._itt = 0  # index in _ITT_STYLES that the device accepted
        self._deliver = deliver
        self._report = report
        self._gate = gate
        self._rng = rng or random.Random()
        self._clock = clock
        # Renewal and expiry on the clock's monotonic seconds (the device's clock may be off).
        self._renew_at = 0.0
        self._expires_at = 0.0

    # --- state ------------------------------------------------------------------------

    def _move(self, trigger: Trigger, why: str = "") -> None:
        old, self.state = self.state, next_state(self.state, trigger)
        self._report(self, old, self.state, why)

    @property
    def healthy(self) -> bool:
        """True while events flow."""
        return self.state in HEALTHY

    # --- main loop --------------------------------------------------------------------

    async def run(self) -> None:
        """Until cancelled: establish, pull or listen, and recover from every loss."""
        await self._clock.sleep(self._rng.uniform(0, self.settings.start_jitter_s))
        self._move(Trigger.START)
        try:
            while True:
                try:
                    async with self._gate:  # bounded concurrent set-ups across devices
                        await self._establish()
                    self.failures = 0
                    if self.mode == PULLPOINT:
                        await self._pull_loop()
                    else:
                        await self._notify_loop()
                except OnvifError as exc:
                    self._failed(exc)
                    await self._clock.sleep(backoff_s(self.failures, self._rng.random()))
                    self._move(Trigger.RETRY_DUE)
        finally:
            self._move(Trigger.STOP)

    def _failed(self, exc: OnvifError) -> None:
        subscribing = self.state is SubscriptionState.SUBSCRIBING
        self.failures += 1
        self.last_error = describe(exc)
        self.subscription = None
        self._move(Trigger.FAILED, self.last_error)
        if subscribing and isinstance(exc, SoapFault) and not isinstance(exc, NotAuthorizedFault):
            # The device refused this way of subscribing: try the other one next.
            other = NOTIFY if self.mode == PULLPOINT else PULLPOINT
            if other == PULLPOINT or self.notify_url:
                log.info("%s: %s refused, trying %s", self.target.device_id, self.mode, other)
                self.mode = other
        elif not subscribing and self.mode != self.target.mode:
            self.mode = (
                self.target.mode if self.notify_url or self.target.mode == PULLPOINT else PULLPOINT
            )
        self._move(Trigger.BACKOFF, self.last_error)

    async def _establish(self) -> None:
        await self.device.connect()
        self._move(Trigger.CONNECTED)
        self.subscription = await self._create()
        self._schedule_renewal(self.subscription.current_time, self.subscription.termination_time)
        if self.absolute_times and self._granted_short(self.subscription):
            await self._renew()
        self._move(
            Trigger.PULLPOINT_CREATED if self.mode == PULLPOINT else Trigger.NOTIFY_SUBSCRIBED
        )

    async def _create(self) -> events.Subscription:
        for style in range(self._itt, len(_ITT_STYLES)):
            itt = self._termination(_ITT_STYLES[style])
            try:
                if self.mode == PULLPOINT:
                    sub = await self.device.create_pull_point(itt)
                else:
                    assert self.notify_url is not None
                    sub = await self.device.subscribe(self.notify_url, itt)
            except (InvalidArgsFault, SenderFault) as fault:
                if isinstance(fault, NotAuthorizedFault) or style == len(_ITT_STYLES) - 1:
                    raise
                log.info(
                    "%s refused InitialTerminationTime as %s: %s",
                    self.target.device_id,
                    _ITT_STYLES[style],
                    fault,
                )
                continue
            self._itt = style
            if style == 1:
                self.absolute_times = True
            if not self.absolute_times and self._granted_short(sub):
                log.info(
                    "%s mishandles relative termination times; using absolute",
                    self.target.device_id,
                )
                self.absolute_times = True
            return sub
        raise AssertionError("unreachable")  # the last style re-raises

    def _termination(self, style: str) -> events.TerminationTime | None:
        if style == "none":
            return None
        return self._renew_time(style == "absolute")

    def _renew_time(self, absolute: bool = False) -> events.TerminationTime:
        if absolute or self.absolute_times:
            return self.device.session.device_now() + timedelta(seconds=self.settings.lifetime_s)
        return self.settings.lifetime_s

    def _granted_short(self, sub: events.Subscription) -> bool:
        granted = _granted_s(sub.current_time, sub.termination_time)
        return granted is not None and granted < self.settings.lifetime_s * SHORT_GRANT

    def _schedule_renewal(
        self,
        current: datetime | None,
        termination: datetime | None,
    ) -> None:
        granted = _granted_s(current, termination)
        if granted is None:
            granted = self.settings.lifetime_s
        now = self._clock.monotonic()
        self._renew_at = now + max(MIN_RENEW_INTERVAL_S, granted * RENEW_AT)
        self._expires_at = now + granted

    async def _renew(self) -> None:
        assert self.subscription is not None
        renewed = await self.device.renew(self.subscription, self._renew_time())
        self.renewals += 1
        if not self.absolute_times and self._granted_short(
            events.Subscription("", (), renewed.current_time, renewed.termination_time)
        ):
            self.absolute_times = True
            renewed = await self.device.renew(self.subscription, self._renew_time(absolute=True))
        self._schedule_renewal(renewed.current_time, renewed.termination_time)

    async def _renew_turn(self) -> None:
        self._move(Trigger.RENEW_DUE)
        for attempt in range(PULL_RETRIES + 1):
            try:
                await self._renew()
                break
            except TransportError:
                if attempt == PULL_RETRIES or self._clock.monotonic() >= self._expires_at:
                    raise
                await self._clock.sleep(PULL_RETRY_PAUSE_S)
        self._move(Trigger.RENEWED)

    async def _pull_loop(self) -> None:
        assert self.subscription is not None
        misses = 0
        while True:
            until_renew = self._renew_at - self._clock.monotonic()
            if until_renew < MIN_PULL_TIMEOUT_S:
                await self._renew_turn()
                continue
            # A long poll never runs past the renewal: it could outlive the subscription.
            timeout = min(self.settings.pull_timeout_s, until_renew)
            started = self._clock.monotonic()
            try:
                got = await self.device.pull_messages(
                    self.subscription, timeout, self.settings.message_limit
                )
            except TransportError:
                misses += 1
                if misses > PULL_RETRIES or self._clock.monotonic() >= self._expires_at:
                    raise
                self.pull_retries += 1
                await self._clock.sleep(PULL_RETRY_PAUSE_S)
                continue
            misses = 0
            if got.messages:
                self.delivered += len(got.messages)
                await self._deliver(self, got.messages)
            elif self._clock.monotonic() - started < MIN_PULL_INTERVAL_S:
                await self._clock.sleep(MIN_PULL_INTERVAL_S - (self._clock.monotonic() - started))

    async def _notify_loop(self) -> None:
        while True:
            await self._clock.sleep(max(0.0, self._renew_at - self._clock.monotonic()))
            await self._renew_turn()

    async def notified(self, messages: tuple[NotificationMessage, ...]) -> None:
        """Messages a device POSTed to our Notify endpoint for this worker."""
        self.delivered += len(messages)
        await self._deliver(self, messages)


_ITT_STYLES = ("relative", "absolute", "none")


def _granted_s(current: datetime | None, termination: datetime | None) -> float | None:
    if current is None or termination is None:
        return None
    return (termination - current).total_seconds()


def describe(exc: OnvifError) -> str:
    """A short reason for logs and fault events."""
    if isinstance(exc, ResourceUnknownFault):
        return f"subscription lost (device rebooted or forgot it): {exc}"
    if isinstance(exc, NotAuthorizedFault):
        return f"not authorized: {exc}"
    if isinstance(exc, TransportError):
        return f"unreachable: {exc}"
    return f"{type(exc).__name__}: {exc}"
