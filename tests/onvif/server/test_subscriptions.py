"""Subscription table, lifecycle table and time parsing, on a fake clock."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callpoint.onvif.server.device_errors import (
    IllegalTransitionError,
    InvalidValueError,
    TooManySubscriptionsError,
    UnacceptableTerminationTimeError,
    UnknownSubscriptionError,
)
from callpoint.onvif.server.lifecycle import SubscriptionState, SubscriptionTrigger, next_state
from callpoint.onvif.server.subscriptions import (
    MAX_QUEUED_MESSAGES,
    MAX_SUBSCRIPTION_LIFETIME,
    SubscriptionKind,
    SubscriptionTable,
)
from callpoint.onvif.server.topics import NotificationMessage, TopicFilter
from callpoint.onvif.server.xsdtime import (
    format_datetime,
    parse_duration,
    parse_termination_time,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_unrenewed_subscription_vanishes_at_its_termination_time() -> None:
    clock = Clock()
    table = SubscriptionTable(clock)
    sub = table.create(SubscriptionKind.PULL_POINT, T0 + timedelta(seconds=10))
    clock.now = T0 + timedelta(seconds=9)
    table.renew(sub.sub_id, clock.now + timedelta(seconds=10))
    clock.now = T0 + timedelta(seconds=18)
    assert table.get(sub.sub_id) is sub
    clock.now = T0 + timedelta(seconds=19)
    with pytest.raises(UnknownSubscriptionError):
        table.get(sub.sub_id)
    assert sub.state is SubscriptionState.EXPIRED
    assert table.expired_count == 1


def test_unsubscribe_is_final_and_termination_in_the_past_is_refused() -> None:
    clock = Clock()
    table = SubscriptionTable(clock)
    sub = table.create(SubscriptionKind.PULL_POINT, None)
    table.unsubscribe(sub.sub_id)
    with pytest.raises(UnknownSubscriptionError):
        table.renew(sub.sub_id, None)
    with pytest.raises(UnacceptableTerminationTimeError):
        table.create(SubscriptionKind.PULL_POINT, T0 - timedelta(seconds=1))


def test_lifetime_is_capped_and_table_is_bounded() -> None:
    clock = Clock()
    table = SubscriptionTable(clock, max_subscriptions=2)
    sub = table.create(SubscriptionKind.PULL_POINT, T0 + timedelta(days=30))
    assert sub.termination_time == T0 + MAX_SUBSCRIPTION_LIFETIME
    table.create(SubscriptionKind.NOTIFY, None, consumer_address="http://127.0.0.1:1/")
    with pytest.raises(TooManySubscriptionsError):
        table.create(SubscriptionKind.PULL_POINT, None)


def test_queue_is_bounded_and_drops_are_counted() -> None:
    table = SubscriptionTable(Clock())
    sub = table.create(SubscriptionKind.PULL_POINT, None)
    for i in range(MAX_QUEUED_MESSAGES + 5):
        sub.offer(NotificationMessage(f"T/{i}", T0, None, (), ()))
    assert len(sub.queue) == MAX_QUEUED_MESSAGES
    assert sub.dropped == 5
    assert sub.take(1)[0].topic == "T/5"


def test_lifecycle_table_rejects_edges_from_final_states() -> None:
    assert next_state(SubscriptionState.ACTIVE, SubscriptionTrigger.RENEW) is (
        SubscriptionState.ACTIVE
    )
    for final in (SubscriptionState.EXPIRED, SubscriptionState.UNSUBSCRIBED):
        for trigger in SubscriptionTrigger:
            with pytest.raises(IllegalTransitionError):
                next_state(final, trigger)


def test_topic_filter_ignores_prefixes_and_supports_subtrees() -> None:
    f = TopicFilter("tns1:Device/tns1:Trigger/DigitalInput|tns1:Door//.")
    assert f.matches("Device/Trigger/DigitalInput")
    assert f.matches("Door/State/DoorMode")
    assert not f.matches("Device/Trigger/Relay")
    with pytest.raises(ValueError, match="empty"):
        TopicFilter(" | ")
    with pytest.raises(ValueError, match="longer"):
        TopicFilter("|".join(["tns1:Device"] * 1000))


def test_termination_time_relative_and_absolute() -> None:
    assert parse_termination_time("PT60S", T0) == T0 + timedelta(seconds=60)
    assert parse_termination_time("2026-01-01T00:01:00Z", T0) == T0 + timedelta(minutes=1)
    assert parse_termination_time("2026-01-01T00:01:00", T0) == T0 + timedelta(minutes=1)
    assert parse_duration("P1DT1H1M1.5S") == timedelta(days=1, hours=1, minutes=1, seconds=1.5)
    assert format_datetime(T0) == "2026-01-01T00:00:00Z"
    for bad in ("P", "PT", "P1Y", "60", "PT1H1H", "P99999999D"):
        with pytest.raises(InvalidValueError):
            parse_duration(bad)


@given(st.text(max_size=40))
def test_duration_parser_never_raises_anything_but_invalid_value(text: str) -> None:
    with contextlib.suppress(InvalidValueError):
        parse_duration(text)
