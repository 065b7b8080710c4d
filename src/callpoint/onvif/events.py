"""Event service (tev) and WS-BaseNotification: subscriptions, pulling, renewing.

ONVIF Core section 9 and OASIS WS-BaseNotification 1.3. Operations on a subscription go
to its own address with WS-Addressing headers (``wsa:To``, ``wsa:Action`` and any
reference parameters the device handed out, marked ``IsReferenceParameter``).
Termination times are sent as durations (``PT60S``) by default; some devices mishandle
relative times, so an absolute time (computed on the device's clock) can be passed instead.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from callpoint.onvif.errors import LocalProtocolError, RemoteProtocolError
from callpoint.onvif.namespaces import (
    TEV,
    TNS1,
    TOPIC_DIALECT_CONCRETE_SET,
    WSA,
    WSNT,
)
from callpoint.onvif.notification import (
    NotificationMessage,
    TopicDescription,
    parse_notification_messages,
    parse_topic_set,
)
from callpoint.onvif.request import Request, request
from callpoint.onvif.xmlutil import (
    Element,
    child,
    children,
    datetime_text,
    duration,
    expect,
    make,
    need,
    need_text,
    text,
    to_bool,
    to_datetime,
)

MAX_PULL_MESSAGES = 1024
"""Largest MessageLimit we ask for in one PullMessages."""

_EV = "http://www.onvif.org/ver10/events/wsdl"
ACTION_GET_EVENT_PROPERTIES = f"{_EV}/EventPortType/GetEventPropertiesRequest"
ACTION_CREATE_PULL_POINT = f"{_EV}/EventPortType/CreatePullPointSubscriptionRequest"
ACTION_PULL_MESSAGES = f"{_EV}/PullPointSubscription/PullMessagesRequest"
ACTION_SET_SYNC_POINT = f"{_EV}/PullPointSubscription/SetSynchronizationPointRequest"
_BW = "http://docs.oasis-open.org/wsn/bw-2"
ACTION_RENEW = f"{_BW}/SubscriptionManager/RenewRequest"
ACTION_UNSUBSCRIBE = f"{_BW}/SubscriptionManager/UnsubscribeRequest"
ACTION_SUBSCRIBE = f"{_BW}/NotificationProducer/SubscribeRequest"
ACTION_NOTIFY = f"{_BW}/NotificationConsumer/Notify"

TerminationTime = float | datetime
"""Relative (seconds, sent as xs:duration) or absolute (sent as xs:dateTime)."""


@dataclass(frozen=True, slots=True)
class EventProperties:
    """GetEventPropertiesResponse: the topics a device can produce."""

    topics: tuple[TopicDescription, ...]
    fixed_topic_set: bool
    topic_expression_dialects: tuple[str, ...]
    message_content_filter_dialects: tuple[str, ...]

    def has_topic(self, topic: str) -> bool:
        """True if ``topic`` (``tns1:...`` form) is in the set."""
        return any(t.topic == topic for t in self.topics)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription endpoint (PullPoint or base notification) and its times."""

    address: str
    reference_parameters: tuple[Element, ...] = ()
    current_time: datetime | None = None
    termination_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class PullMessagesResponse:
    """PullMessagesResponse: the device clock, the new termination time, the messages."""

    current_time: datetime | None
    termination_time: datetime | None
    messages: tuple[NotificationMessage, ...]


@dataclass(frozen=True, slots=True)
class RenewResponse:
    """wsnt:RenewResponse."""

    termination_time: datetime | None
    current_time: datetime | None


def _termination(tag: str, when: TerminationTime | None) -> Element | None:
    if when is None:
        return None
    if isinstance(when, datetime):
        return make(tag, text=datetime_text(when))
    if when <= 0:
        raise LocalProtocolError("termination time must lie in the future")
    return make(tag, text=duration(when))


def _filter(tag: str, topics: str | None) -> Element | None:
    if not topics:
        return None
    # The expression's text uses the tns1: prefix, so declare it on the element itself.
    expr = etree.Element(
        f"{{{WSNT}}}TopicExpression",
        {"Dialect": TOPIC_DIALECT_CONCRETE_SET},
        nsmap={"wsnt": WSNT, "tns1": TNS1},
    )
    expr.text = topics
    return make(tag, expr)


def get_event_properties() -> Request:
    """GetEventProperties."""
    return request(TEV, "GetEventProperties", action=ACTION_GET_EVENT_PROPERTIES)


def parse_event_properties(body: Element | None) -> EventProperties:
    """Parse GetEventPropertiesResponse into its flattened topic set."""
    r = expect(body, "GetEventPropertiesResponse")
    ts = child(r, "TopicSet")
    return EventProperties(
        topics=parse_topic_set(ts) if ts is not None else (),
        fixed_topic_set=to_bool(text(r, "FixedTopicSet"), False),
        topic_expression_dialects=tuple(
            (d.text or "").strip() for d in children(r, "TopicExpressionDialect")
        ),
        message_content_filter_dialects=tuple(
            (d.text or "").strip() for d in children(r, "MessageContentFilterDialect")
        ),
    )


def create_pull_point_subscription(
    initial_termination_time: TerminationTime | None = 60.0, topics: str | None = None
) -> Request:
    """CreatePullPointSubscription; ``topics`` is a ConcreteSet expression (``tns1:A|tns1:B``).

    InitialTerminationTime is sent by default: some devices refuse the request without it.
    """
    return request(
        TEV,
        "CreatePullPointSubscription",
        _filter(f"{{{TEV}}}Filter", topics),
        _termination(f"{{{TEV}}}InitialTerminationTime", initial_termination_time),
        action=ACTION_CREATE_PULL_POINT,
    )


def _subscription(r: Element, ref_name: str) -> Subscription:
    ref = need(r, ref_name)
    params = child(ref, "ReferenceParameters")
    return Subscription(
        address=need_text(ref, "Address"),
        reference_parameters=tuple(copy.deepcopy(p) for p in params) if params is not None else (),
        current_time=to_datetime(text(r, "CurrentTime")),
        termination_time=to_datetime(text(r, "TerminationTime")),
    )


def parse_create_pull_point_subscription(body: Element | None) -> Subscription:
    """Parse CreatePullPointSubscriptionResponse."""
    return _subscription(
        expect(body, "CreatePullPointSubscriptionResponse"), "SubscriptionReference"
    )


def subscription_headers(sub: Subscription, action: str) -> list[Element]:
    """WS-Addressing headers for an operation on ``sub`` (WS-Addressing SOAP binding 3.2)."""
    headers = [
        make(f"{{{WSA}}}Action", text=action),
        make(f"{{{WSA}}}To", text=sub.address),
    ]
    for p in sub.reference_parameters:
        h = copy.deepcopy(p)
        h.set(f"{{{WSA}}}IsReferenceParameter", "true")
        headers.append(h)
    return headers


def pull_messages(timeout_s: float, limit: int) -> Request:
    """PullMessages: wait up to ``timeout_s`` for at most ``limit`` messages."""
    if not 1 <= limit <= MAX_PULL_MESSAGES:
        raise LocalProtocolError(f"message limit {limit} outside 1..{MAX_PULL_MESSAGES}")
    return request(
        TEV,
        "PullMessages",
        make(f"{{{TEV}}}Timeout", text=duration(timeout_s)),
        make(f"{{{TEV}}}MessageLimit", text=str(limit)),
        action=ACTION_PULL_MESSAGES,
    )


def parse_pull_messages(body: Element | None) -> PullMessagesResponse:
    """Parse PullMessagesResponse."""
    r = expect(body, "PullMessagesResponse")
    return PullMessagesResponse(
        current_time=to_datetime(text(r, "CurrentTime")),
        termination_time=to_datetime(text(r, "TerminationTime")),
        messages=parse_notification_messages(r),
    )


def renew(termination_time: TerminationTime) -> Request:
    """wsnt:Renew."""
    tt_el = _termination(f"{{{WSNT}}}TerminationTime", termination_time)
    return request(WSNT, "Renew", tt_el, action=ACTION_RENEW)


def parse_renew(body: Element | None) -> RenewResponse:
    """Parse wsnt:RenewResponse."""
    r = expect(body, "RenewResponse")
    return RenewResponse(
        termination_time=to_datetime(text(r, "TerminationTime")),
        current_time=to_datetime(text(r, "CurrentTime")),
    )


def unsubscribe() -> Request:
    """wsnt:Unsubscribe. Beware: some devices then drop *every* subscription."""
    return request(WSNT, "Unsubscribe", action=ACTION_UNSUBSCRIBE)


def set_synchronization_point() -> Request:
    """SetSynchronizationPoint: ask for the current state of every property again."""
    return request(TEV, "SetSynchronizationPoint", action=ACTION_SET_SYNC_POINT)


def subscribe(
    consumer_url: str,
    initial_termination_time: TerminationTime | None = 60.0,
    topics: str | None = None,
) -> Request:
    """wsnt:Subscribe (base notification): the device will POST Notify to ``consumer_url``."""
    if not consumer_url.startswith(("http://", "https://")):
        raise LocalProtocolError(f"consumer URL must be http(s): {consumer_url!r}")
    return request(
        WSNT,
        "Subscribe",
        make(f"{{{WSNT}}}ConsumerReference", make(f"{{{WSA}}}Address", text=consumer_url)),
        _filter(f"{{{WSNT}}}Filter", topics),
        _termination(f"{{{WSNT}}}InitialTerminationTime", initial_termination_time),
        action=ACTION_SUBSCRIBE,
    )


def parse_subscribe(body: Element | None) -> Subscription:
    """Parse wsnt:SubscribeResponse."""
    return _subscription(expect(body, "SubscribeResponse"), "SubscriptionReference")


def parse_notify(body: Element | None) -> tuple[NotificationMessage, ...]:
    """Parse a wsnt:Notify body (what a device POSTs to our consumer endpoint)."""
    r = expect(body, "Notify")
    if not children(r, "NotificationMessage"):
        raise RemoteProtocolError("Notify without NotificationMessage")
    return parse_notification_messages(r)


def parse_empty(body: Element | None, name: str) -> None:
    """Check an empty reply (UnsubscribeResponse, SetSynchronizationPointResponse)."""
    expect(body, name)
