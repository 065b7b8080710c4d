"""The device's event source: property states, and fan-out to subscriptions.

ONVIF Core property semantics (event service): every property (a topic plus its Source items) has a
current state. A new subscription first receives every state with PropertyOperation
`Initialized`; each later change is sent as `Changed`. SetSynchronizationPoint sends the
`Initialized` set again.
"""

from __future__ import annotations

from datetime import datetime

from callpoint.onvif.server.filters import EventFilter
from callpoint.onvif.server.subscriptions import (
    Clock,
    Subscription,
    SubscriptionKind,
    SubscriptionTable,
)
from callpoint.onvif.server.topics import (
    NotificationMessage,
    PropertyOperation,
    SimpleItem,
    TopicDescription,
)

PropertyKey = tuple[str, tuple[SimpleItem, ...]]


class EventBroker:
    """Holds property states and the subscription table of one device."""

    def __init__(self, clock: Clock, topics: tuple[TopicDescription, ...]) -> None:
        self._clock = clock
        self.topics = topics
        self.table = SubscriptionTable(clock)
        self._properties: dict[PropertyKey, NotificationMessage] = {}
        self.published = 0

    def now(self) -> datetime:
        """The device clock."""
        return self._clock()

    def set_property(
        self, topic: str, source: tuple[SimpleItem, ...], data: tuple[SimpleItem, ...]
    ) -> bool:
        """Record a property state; sends `Changed` when it differs. True if it changed.

        The first value of a property is its initial state and is not sent as a change.
        """
        key = (topic, source)
        previous = self._properties.get(key)
        if previous is not None and previous.data == data:
            return False
        operation = PropertyOperation.INITIALIZED if previous is None else PropertyOperation.CHANGED
        message = NotificationMessage(topic, self._clock(), operation, source, data)
        self._properties[key] = message
        if previous is not None:
            self.publish(message)
        return previous is not None

    def pulse(
        self, topic: str, source: tuple[SimpleItem, ...], data: tuple[SimpleItem, ...]
    ) -> None:
        """Send a non-property event (no PropertyOperation), e.g. a preset reached."""
        self.publish(NotificationMessage(topic, self._clock(), None, source, data))

    def publish(self, message: NotificationMessage) -> None:
        """Queue a message on every live subscription whose filter selects it."""
        self.published += 1
        for sub in self.table:
            if sub.selects(message):
                sub.offer(message)

    def initial_messages(self, sub: Subscription) -> list[NotificationMessage]:
        """Every property state, stamped now as `Initialized`, that `sub` selects."""
        now = self._clock()
        return [
            m.restamped(now, PropertyOperation.INITIALIZED)
            for m in self._properties.values()
            if sub.selects(m)
        ]

    def subscribe(
        self,
        kind: SubscriptionKind,
        requested: datetime | None,
        event_filter: EventFilter | None = None,
        consumer_address: str | None = None,
    ) -> Subscription:
        """Create a subscription and queue the `Initialized` states on it."""
        sub = self.table.create(kind, requested, event_filter, consumer_address)
        for message in self.initial_messages(sub):
            sub.offer(message)
        return sub

    def synchronize(self, sub_id: str) -> None:
        """SetSynchronizationPoint: queue the `Initialized` states again."""
        sub = self.table.get(sub_id)
        for message in self.initial_messages(sub):
            sub.offer(message)
