"""XML of events: wsnt:NotificationMessage, the topic set, subscription references.

Pure builders shared by the PullPoint answers and the Notify messages we POST.
"""

from __future__ import annotations

from lxml import etree

from callpoint.onvif.namespaces import (
    MESSAGE_CONTENT_DIALECT,
    TNS1,
    TOPIC_DIALECT_CONCRETE,
    TOPIC_DIALECT_CONCRETE_SET,
    TT,
    WSA,
    WSNT,
    WSTOP,
    qname,
)
from callpoint.onvif.server.topics import ItemDescription, NotificationMessage, TopicDescription
from callpoint.onvif.server.xmlbuild import root, sub, xbool
from callpoint.onvif.server.xsdtime import format_datetime

TOPIC_NAMESPACE_LOCATION = "http://www.onvif.org/onvif/ver10/topics/topicns.xml"
MESSAGE_CONTENT_SCHEMA = "http://www.onvif.org/onvif/ver10/schema/onvif.xsd"


def endpoint_reference(parent: etree._Element, ns: str, local: str, address: str) -> None:
    """A wsa:EndpointReferenceType element holding only an Address."""
    ref = sub(parent, ns, local)
    sub(ref, WSA, "Address", address)


def _items(parent: etree._Element, local: str, items: tuple[tuple[str, str], ...]) -> None:
    if items:
        holder = sub(parent, TT, local)
        for name, value in items:
            sub(holder, TT, "SimpleItem", Name=name, Value=value)


def notification_message(
    parent: etree._Element, message: NotificationMessage, subscription_address: str | None
) -> None:
    """Append one wsnt:NotificationMessage carrying a tt:Message."""
    holder = sub(parent, WSNT, "NotificationMessage")
    if subscription_address is not None:
        endpoint_reference(holder, WSNT, "SubscriptionReference", subscription_address)
    sub(holder, WSNT, "Topic", f"tns1:{message.topic}", Dialect=TOPIC_DIALECT_CONCRETE_SET)
    wrapper = sub(holder, WSNT, "Message")
    tt_message(wrapper, message)


def tt_message(parent: etree._Element | None, message: NotificationMessage) -> etree._Element:
    """The tt:Message of a notification, under `parent` or (None) as a root element."""
    attrs = {"UtcTime": format_datetime(message.utc_time)}
    if message.operation is not None:
        attrs["PropertyOperation"] = message.operation.value
    msg = root(TT, "Message") if parent is None else sub(parent, TT, "Message")
    for name, value in attrs.items():
        msg.set(name, value)
    _items(msg, "Source", tuple((i.name, i.value) for i in message.source))
    _items(msg, "Data", tuple((i.name, i.value) for i in message.data))
    return msg


def _descriptions(parent: etree._Element, local: str, items: tuple[ItemDescription, ...]) -> None:
    if items:
        holder = sub(parent, TT, local)
        for item in items:
            sub(holder, TT, "SimpleItemDescription", Name=item.name, Type=item.type)


def topic_set(parent: etree._Element, topics: tuple[TopicDescription, ...]) -> None:
    """wstop:TopicSet: the topic tree with a tt:MessageDescription on each leaf."""
    top = sub(parent, WSTOP, "TopicSet")
    for topic in topics:
        node = top
        for step in topic.path.split("/"):
            found = node.find(qname(TNS1, step))
            node = found if found is not None else sub(node, TNS1, step)
        node.set(qname(WSTOP, "topic"), "true")
        desc = sub(node, TT, "MessageDescription", IsProperty=xbool(topic.is_property))
        _descriptions(desc, "Source", topic.source)
        _descriptions(desc, "Data", topic.data)


def event_properties(parent: etree._Element, ns: str, topics: tuple[TopicDescription, ...]) -> None:
    """The children of GetEventPropertiesResponse (events.wsdl order)."""
    sub(parent, ns, "TopicNamespaceLocation", TOPIC_NAMESPACE_LOCATION)
    sub(parent, WSNT, "FixedTopicSet", "true")
    topic_set(parent, topics)
    sub(parent, WSNT, "TopicExpressionDialect", TOPIC_DIALECT_CONCRETE)
    sub(parent, WSNT, "TopicExpressionDialect", TOPIC_DIALECT_CONCRETE_SET)
    sub(parent, ns, "MessageContentFilterDialect", MESSAGE_CONTENT_DIALECT)
    sub(parent, ns, "MessageContentSchemaLocation", MESSAGE_CONTENT_SCHEMA)
