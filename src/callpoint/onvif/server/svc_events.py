"""Event service (ONVIF Core, events.wsdl + WS-BaseNotification): PullPoint and Subscribe.

Subscriptions live at `<device>/onvif/subscription/<id>`; PullMessages, Renew,
Unsubscribe and SetSynchronizationPoint are addressed there.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from lxml import etree

from callpoint.onvif.errors import (
    SENDER,
    InvalidArgsFault,
    ReceiverFault,
    ResourceUnknownFault,
)
from callpoint.onvif.namespaces import (
    MESSAGE_CONTENT_DIALECT,
    TER,
    TEV,
    TOPIC_DIALECT_CONCRETE,
    TOPIC_DIALECT_CONCRETE_SET,
    WSNT,
    WSRF_BF,
    qname,
)
from callpoint.onvif.server.device_errors import (
    InvalidValueError,
    TooManySubscriptionsError,
    UnacceptableTerminationTimeError,
    UnknownSubscriptionError,
)
from callpoint.onvif.server.dispatch import AccessClass, Reply, Request, Service, operation
from callpoint.onvif.server.event_xml import (
    endpoint_reference,
    event_properties,
    notification_message,
)
from callpoint.onvif.server.filters import EventFilter, MessageContentFilter
from callpoint.onvif.server.lifecycle import SubscriptionState
from callpoint.onvif.server.runtime import service_url
from callpoint.onvif.server.subscriptions import Subscription, SubscriptionKind
from callpoint.onvif.server.topics import NotificationMessage, TopicFilter
from callpoint.onvif.server.xmlbuild import child, opt_text, req_text, root, sub
from callpoint.onvif.server.xsdtime import format_datetime, parse_duration, parse_termination_time

#: Topic expression dialects we evaluate: ConcreteSet is Concrete plus `|` and `//.`.
TOPIC_DIALECTS = frozenset({TOPIC_DIALECT_CONCRETE_SET, TOPIC_DIALECT_CONCRETE})
#: Longest Notify consumer URL accepted, in characters (kept per subscription).
MAX_CONSUMER_URL_CHARS = 2048
#: Longest a PullMessages may wait for messages, in seconds (clients ask for 1-60 s).
MAX_PULL_TIMEOUT_S = 60.0
#: Most messages one PullMessages returns, whatever MessageLimit says.
MAX_MESSAGE_LIMIT = 1024

_EV = "http://www.onvif.org/ver10/events/wsdl"
_BW = "http://docs.oasis-open.org/wsn/bw-2"
ACTION_NOTIFY = f"{_BW}/NotificationConsumer/Notify"


def subscription_address(base_url: str, sub_id: str) -> str:
    """Where a subscription's manager (and PullPoint) lives."""
    return service_url(base_url, f"{Service.SUBSCRIPTION.value}/{sub_id}")


def _requested_time(req: Request, local: str) -> datetime | None:
    text = opt_text(req.body, local)
    if not text:
        return None
    try:
        return parse_termination_time(text, req.runtime.device.clock())
    except InvalidValueError as exc:
        raise InvalidArgsFault(str(exc)) from exc


def _event_filter(req: Request) -> EventFilter | None:
    holder = child(req.body, "Filter")
    if holder is None:
        return None
    topic_filters: list[TopicFilter] = []
    content_filters: list[MessageContentFilter] = []
    try:
        for c in holder:
            if not isinstance(c.tag, str):
                continue
            name = etree.QName(c).localname
            text = (c.text or "").strip()
            dialect = c.get("Dialect")
            if name == "TopicExpression":
                if dialect is not None and dialect not in TOPIC_DIALECTS:
                    raise InvalidArgsFault(
                        f"topic expression dialect {dialect!r} not supported",
                        subcodes=(qname(WSNT, "TopicExpressionDialectUnknownFault"),),
                    )
                topic_filters.append(TopicFilter(text))
            elif name == "MessageContent":
                if dialect is not None and dialect != MESSAGE_CONTENT_DIALECT:
                    raise InvalidArgsFault(
                        f"message content dialect {dialect!r} not supported",
                        subcodes=(qname(WSNT, "InvalidFilterFault"),),
                    )
                prefixes = {k: v for k, v in c.nsmap.items() if k is not None}
                content_filters.append(MessageContentFilter(text, prefixes))
    except ValueError as exc:
        raise InvalidArgsFault(
            f"bad filter: {exc}", subcodes=(qname(WSNT, "InvalidFilterFault"),)
        ) from exc
    if not topic_filters and not content_filters:
        return None
    return EventFilter(tuple(topic_filters), tuple(content_filters))


def _subscribe(
    req: Request, kind: SubscriptionKind, time_arg: str, consumer: str | None = None
) -> Subscription:
    try:
        return req.runtime.device.events.subscribe(
            kind, _requested_time(req, time_arg), _event_filter(req), consumer
        )
    except UnacceptableTerminationTimeError as exc:
        raise InvalidArgsFault(
            str(exc), subcodes=(qname(WSNT, "UnacceptableInitialTerminationTimeFault"),)
        ) from exc
    except TooManySubscriptionsError as exc:
        raise ReceiverFault(
            str(exc), subcodes=(qname(TER, "Action"), qname(TER, "TooManySubscriptions"))
        ) from exc


def _subscription(req: Request) -> Subscription:
    try:
        return req.runtime.device.events.table.get(req.subscription_id or "")
    except UnknownSubscriptionError as exc:
        raise ResourceUnknownFault(
            str(exc), code=SENDER, subcodes=(qname(WSRF_BF, "ResourceUnknownFault"),)
        ) from exc


def _times(parent: etree._Element, ns: str, sub_: Subscription, now: datetime) -> None:
    sub(parent, ns, "CurrentTime", format_datetime(now))
    sub(parent, ns, "TerminationTime", format_datetime(sub_.termination_time))


@operation(Service.EVENTS, qname(TEV, "GetEventProperties"), AccessClass.READ_MEDIA)
async def get_event_properties(req: Request) -> Reply:
    """The topic set with message descriptions."""
    body = root(TEV, "GetEventPropertiesResponse")
    event_properties(body, TEV, req.runtime.device.events.topics)
    return Reply(body, f"{_EV}/EventPortType/GetEventPropertiesResponse")


@operation(Service.EVENTS, qname(TEV, "CreatePullPointSubscription"), AccessClass.READ_MEDIA)
async def create_pull_point_subscription(req: Request) -> Reply:
    """A new PullPoint, its queue primed with the Initialized property states."""
    new = _subscribe(req, SubscriptionKind.PULL_POINT, "InitialTerminationTime")
    req.runtime.waiter(new)
    body = root(TEV, "CreatePullPointSubscriptionResponse")
    endpoint_reference(
        body, TEV, "SubscriptionReference", subscription_address(req.base_url, new.sub_id)
    )
    _times(body, WSNT, new, new.created_at)
    return Reply(body, f"{_EV}/EventPortType/CreatePullPointSubscriptionResponse")


@operation(Service.EVENTS, qname(WSNT, "Subscribe"), AccessClass.READ_MEDIA)
async def subscribe(req: Request) -> Reply:
    """Base notification: messages are POSTed to the consumer as wsnt:Notify."""
    ref = child(req.body, "ConsumerReference")
    address = (opt_text(ref, "Address") if ref is not None else None) or ""
    if not address.startswith(("http://", "https://")) or len(address) > MAX_CONSUMER_URL_CHARS:
        raise InvalidArgsFault(
            f"ConsumerReference/Address must be an http(s) URL of at most "
            f"{MAX_CONSUMER_URL_CHARS} characters"
        )
    new = _subscribe(req, SubscriptionKind.NOTIFY, "InitialTerminationTime", address)
    if req.runtime.on_notify_subscription is not None:
        req.runtime.on_notify_subscription(req.runtime, new)
    body = root(WSNT, "SubscribeResponse")
    endpoint_reference(
        body, WSNT, "SubscriptionReference", subscription_address(req.base_url, new.sub_id)
    )
    _times(body, WSNT, new, new.created_at)
    return Reply(body, f"{_BW}/NotificationProducer/SubscribeResponse")


@operation(Service.SUBSCRIPTION, qname(TEV, "PullMessages"), AccessClass.READ_MEDIA)
async def pull_messages(req: Request) -> Reply:
    """Wait up to Timeout for messages, return at most MessageLimit of them."""
    current = _subscription(req)
    if current.kind is not SubscriptionKind.PULL_POINT:
        raise InvalidArgsFault("not a PullPoint subscription")
    try:
        timeout = parse_duration(req_text(req.body, "Timeout")).total_seconds()
        limit = int(req_text(req.body, "MessageLimit"))
    except (InvalidValueError, ValueError) as exc:
        raise InvalidArgsFault(f"bad Timeout or MessageLimit: {exc}") from exc
    if timeout < 0 or limit < 1:
        raise InvalidArgsFault("Timeout must not be negative and MessageLimit must be >= 1")
    timeout = min(timeout, MAX_PULL_TIMEOUT_S)
    limit = min(limit, MAX_MESSAGE_LIMIT)
    events = req.runtime.device.events
    # ONVIF Core 9.1.1: the pull point stays alive at least Timeout after each answer.
    events.table.keep_alive(current.sub_id, events.now() + timedelta(seconds=timeout))
    waiter = req.runtime.waiter(current)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not current.queue and current.state is SubscriptionState.ACTIVE:
        waiter.clear()
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:  # asyncio.timeout: wait_for can swallow a cancellation on 3.11
            async with asyncio.timeout(remaining):
                await waiter.wait()
        except TimeoutError:
            break
    now = events.now()
    if current.state is SubscriptionState.ACTIVE:
        # If the device clock jumped past the termination time meanwhile, the messages
        # are still handed out below; the next request then finds the PullPoint gone.
        with contextlib.suppress(UnknownSubscriptionError):
            events.table.keep_alive(current.sub_id, now + timedelta(seconds=timeout))
    messages = current.take(limit)
    body = root(TEV, "PullMessagesResponse")
    sub(body, TEV, "CurrentTime", format_datetime(now))
    sub(body, TEV, "TerminationTime", format_datetime(current.termination_time))
    for message in messages:
        notification_message(body, message, None)
    return Reply(body, f"{_EV}/PullPointSubscription/PullMessagesResponse")


@operation(Service.SUBSCRIPTION, qname(TEV, "SetSynchronizationPoint"), AccessClass.READ_MEDIA)
async def set_synchronization_point(req: Request) -> Reply:
    """Queue every property state again as Initialized."""
    current = _subscription(req)
    req.runtime.device.events.synchronize(current.sub_id)
    body = root(TEV, "SetSynchronizationPointResponse")
    return Reply(body, f"{_EV}/PullPointSubscription/SetSynchronizationPointResponse")


@operation(Service.SUBSCRIPTION, qname(WSNT, "Renew"), AccessClass.READ_MEDIA)
async def renew(req: Request) -> Reply:
    """Push the termination time out (relative duration or absolute time)."""
    current = _subscription(req)
    events = req.runtime.device.events
    try:
        renewed = events.table.renew(current.sub_id, _requested_time(req, "TerminationTime"))
    except UnacceptableTerminationTimeError as exc:
        raise InvalidArgsFault(
            str(exc), subcodes=(qname(WSNT, "UnacceptableTerminationTimeFault"),)
        ) from exc
    body = root(WSNT, "RenewResponse")
    sub(body, WSNT, "TerminationTime", format_datetime(renewed.termination_time))
    sub(body, WSNT, "CurrentTime", format_datetime(events.now()))
    return Reply(body, f"{_BW}/SubscriptionManager/RenewResponse")


@operation(Service.SUBSCRIPTION, qname(WSNT, "Unsubscribe"), AccessClass.READ_MEDIA)
async def unsubscribe(req: Request) -> Reply:
    """End the subscription now; a waiting PullMessages returns."""
    current = _subscription(req)
    req.runtime.device.events.table.unsubscribe(current.sub_id)
    if current.listener is not None:
        current.listener()
    return Reply(
        root(WSNT, "UnsubscribeResponse"), f"{_BW}/SubscriptionManager/UnsubscribeResponse"
    )


def notify_body(messages: list[NotificationMessage], address: str) -> etree._Element:
    """The wsnt:Notify element POSTed to a base-notification consumer."""
    body = root(WSNT, "Notify")
    for message in messages:
        notification_message(body, message, address)
    return body
