"""The device's table of event subscriptions (PullPoint and base notification).

Pure bookkeeping with an injected clock: no asyncio here. A subscription holds a bounded
queue of messages; a `listener` callback (set by the transport) is told when messages
arrive, so a waiting PullMessages or a Notify sender can wake up.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from callpoint.onvif.server.device_errors import (
    TooManySubscriptionsError,
    UnacceptableTerminationTimeError,
    UnknownSubscriptionError,
)
from callpoint.onvif.server.filters import EventFilter
from callpoint.onvif.server.lifecycle import SubscriptionState, SubscriptionTrigger, next_state
from callpoint.onvif.server.topics import NotificationMessage

Clock = Callable[[], datetime]

#: Subscriptions one device holds at once; a VMS uses one or two, 32 leaves headroom.
MAX_SUBSCRIPTIONS = 32
#: Messages kept per subscription between pulls; older ones are dropped and counted.
MAX_QUEUED_MESSAGES = 256
#: Longest life granted per Subscribe/Renew; a client asking for more gets this.
MAX_SUBSCRIPTION_LIFETIME = timedelta(hours=24)
#: Life granted when the request names no termination time.
DEFAULT_SUBSCRIPTION_LIFETIME = timedelta(seconds=60)


class SubscriptionKind(StrEnum):
    """How messages leave the device."""

    PULL_POINT = "pullpoint"
    NOTIFY = "notify"


@dataclass(slots=True, eq=False)
class Subscription:
    """One subscription; mutable, owned by the table."""

    sub_id: str
    kind: SubscriptionKind
    created_at: datetime
    termination_time: datetime
    event_filter: EventFilter | None = None
    consumer_address: str | None = None
    state: SubscriptionState = SubscriptionState.ACTIVE
    queue: deque[NotificationMessage] = field(
        default_factory=lambda: deque(maxlen=MAX_QUEUED_MESSAGES)
    )
    dropped: int = 0
    listener: Callable[[], None] | None = None

    def selects(self, message: NotificationMessage) -> bool:
        """Whether this subscription's filter lets the message through."""
        return self.event_filter is None or self.event_filter.matches(message)

    def offer(self, message: NotificationMessage) -> None:
        """Queue a message (dropping the oldest when full) and wake the listener."""
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
        self.queue.append(message)
        if self.listener is not None:
            self.listener()

    def take(self, limit: int) -> list[NotificationMessage]:
        """Remove and return up to `limit` queued messages, oldest first."""
        return [self.queue.popleft() for _ in range(min(limit, len(self.queue)))]

    def move(self, trigger: SubscriptionTrigger) -> None:
        """Apply a lifecycle trigger (lifecycle.py); illegal ones raise."""
        self.state = next_state(self.state, trigger)


class SubscriptionTable:
    """Bounded table of live subscriptions; expired ones vanish on every access."""

    def __init__(self, clock: Clock, max_subscriptions: int = MAX_SUBSCRIPTIONS) -> None:
        self._clock = clock
        self._max = max_subscriptions
        self._subs: dict[str, Subscription] = {}
        self.expired_count = 0

    def __len__(self) -> int:
        self.sweep()
        return len(self._subs)

    def __iter__(self) -> Iterator[Subscription]:
        self.sweep()
        return iter(list(self._subs.values()))

    def grant(self, requested: datetime | None) -> datetime:
        """The termination time the device grants for a requested one."""
        now = self._clock()
        if requested is None:
            return now + DEFAULT_SUBSCRIPTION_LIFETIME
        if requested <= now:
            raise UnacceptableTerminationTimeError(
                f"termination time {requested} is not in the future"
            )
        return min(requested, now + MAX_SUBSCRIPTION_LIFETIME)

    def create(
        self,
        kind: SubscriptionKind,
        requested: datetime | None,
        event_filter: EventFilter | None = None,
        consumer_address: str | None = None,
    ) -> Subscription:
        """Add a subscription; TooManySubscriptionsError when the table is full."""
        self.sweep()
        if len(self._subs) >= self._max:
            raise TooManySubscriptionsError(f"{self._max} subscriptions already active")
        sub = Subscription(
            sub_id=uuid.uuid4().hex,
            kind=kind,
            created_at=self._clock(),
            termination_time=self.grant(requested),
            event_filter=event_filter,
            consumer_address=consumer_address,
        )
        self._subs[sub.sub_id] = sub
        return sub

    def get(self, sub_id: str) -> Subscription:
        """The live subscription, or UnknownSubscriptionError (absent, expired, unsubscribed)."""
        self.sweep()
        try:
            return self._subs[sub_id]
        except KeyError:
            raise UnknownSubscriptionError(f"no subscription {sub_id!r}") from None

    def renew(self, sub_id: str, requested: datetime | None) -> Subscription:
        """Push the termination time out; returns the subscription."""
        sub = self.get(sub_id)
        granted = self.grant(requested)
        sub.move(SubscriptionTrigger.RENEW)
        sub.termination_time = granted
        return sub

    def keep_alive(self, sub_id: str, until: datetime) -> Subscription:
        """PullMessages keep-alive (ONVIF Core 9.1.1): live at least until `until`."""
        sub = self.get(sub_id)
        capped = min(until, self._clock() + MAX_SUBSCRIPTION_LIFETIME)
        sub.termination_time = max(sub.termination_time, capped)
        return sub

    def unsubscribe(self, sub_id: str) -> Subscription:
        """End a subscription now."""
        sub = self.get(sub_id)
        sub.move(SubscriptionTrigger.UNSUBSCRIBE)
        del self._subs[sub_id]
        return sub

    def sweep(self) -> list[Subscription]:
        """Expire every subscription whose termination time has passed; returns them."""
        now = self._clock()
        gone = [s for s in self._subs.values() if s.termination_time <= now]
        for sub in gone:
            sub.move(SubscriptionTrigger.EXPIRE)
            del self._subs[sub.sub_id]
        self.expired_count += len(gone)
        return gone

    def next_expiry(self) -> datetime | None:
        """When the next subscription will expire, for a timer that sweeps."""
        return min((s.termination_time for s in self._subs.values()), default=None)
