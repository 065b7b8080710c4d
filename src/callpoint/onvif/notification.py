"""Event messages: wsnt:NotificationMessage, tt:Message, topics and the topic set.

ONVIF Core section 9 (Event handling): a notification carries a topic expression in the
Concrete dialect and a tt:Message with ``UtcTime``, ``PropertyOperation`` (Initialized,
Changed, Deleted for property events) and Source / Key / Data sets of SimpleItems.
Topics are normalised so that ONVIF's topic namespace is always written ``tns1:``
whatever prefix the device chose; vendor topics keep the device's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from callpoint.onvif.namespaces import TNS1
from callpoint.onvif.xmlutil import Element, child, children, local, text, to_bool, to_datetime

MAX_TOPIC_DEPTH = 16
"""Deepest topic tree walked in GetEventProperties, in levels (real ones use 3 to 5)."""

Items = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class EventMessage:
    """tt:Message: the payload of one notification."""

    utc_time: datetime | None
    property_operation: str | None
    source: Items = ()
    key: Items = ()
    data: Items = ()

    def item(self, name: str) -> str | None:
        """A SimpleItem's value by name, searching Data, then Source, then Key."""
        for items in (self.data, self.source, self.key):
            for n, v in items:
                if n == name:
                    return v
        return None


@dataclass(frozen=True, slots=True)
class NotificationMessage:
    """wsnt:NotificationMessage with its topic normalised (``tns1:Device/Trigger/...``)."""

    topic: str
    message: EventMessage
    topic_namespace: str | None = None
    subscription: str | None = None
    producer: str | None = None


@dataclass(frozen=True, slots=True)
class TopicDescription:
    """One topic of GetEventProperties' topic set, with its message description."""

    topic: str
    is_property: bool
    source_items: Items = ()
    data_items: Items = ()


def normalise_topic(topic_el: Element) -> tuple[str, str | None]:
    """Topic text with the ONVIF prefix rewritten to ``tns1``; also its namespace."""
    raw = "".join(str(t) for t in topic_el.itertext()).strip()
    prefix, sep, rest = raw.partition(":")
    if not sep or "/" in prefix:
        return raw, None
    ns = topic_el.nsmap.get(prefix)
    if ns == TNS1:
        return f"tns1:{rest}", ns
    return raw, ns


def _items(parent: Element | None) -> Items:
    if parent is None:
        return ()
    return tuple((s.get("Name", ""), s.get("Value", "")) for s in children(parent, "SimpleItem"))


def parse_message(msg: Element) -> EventMessage:
    """Parse a tt:Message element (or the wsnt:Message wrapper around it)."""
    inner = child(msg, "Message")
    if inner is not None:
        msg = inner
    return EventMessage(
        utc_time=to_datetime(msg.get("UtcTime")),
        property_operation=msg.get("PropertyOperation"),
        source=_items(child(msg, "Source")),
        key=_items(child(msg, "Key")),
        data=_items(child(msg, "Data")),
    )


def parse_notification_message(nm: Element) -> NotificationMessage:
    """Parse one wsnt:NotificationMessage."""
    topic_el = child(nm, "Topic")
    topic, ns = normalise_topic(topic_el) if topic_el is not None else ("", None)
    msg = child(nm, "Message")
    return NotificationMessage(
        topic=topic,
        message=parse_message(msg) if msg is not None else EventMessage(None, None),
        topic_namespace=ns,
        subscription=text(nm, "SubscriptionReference", "Address"),
        producer=text(nm, "ProducerReference", "Address"),
    )


def parse_notification_messages(parent: Element) -> tuple[NotificationMessage, ...]:
    """Every NotificationMessage child (PullMessagesResponse or wsnt:Notify)."""
    return tuple(parse_notification_message(nm) for nm in children(parent, "NotificationMessage"))


def _descriptions(desc: Element | None, part: str) -> Items:
    if desc is None:
        return ()
    p = child(desc, part)
    if p is None:
        return ()
    return tuple(
        (d.get("Name", ""), d.get("Type", "")) for d in children(p, "SimpleItemDescription")
    )


def _prefix_for(el: Element) -> str:
    ns = etree.QName(el).namespace
    if ns == TNS1:
        return "tns1"
    return el.prefix or "ns"


def parse_topic_set(topic_set: Element) -> tuple[TopicDescription, ...]:
    """Flatten a wstop:TopicSet into its topics (nodes marked ``wstop:topic="true"``)."""
    out: list[TopicDescription] = []

    def walk(el: Element, trail: list[str], prefix: str, depth: int) -> None:
        if depth > MAX_TOPIC_DEPTH:
            return
        for c in el:
            name = local(c)
            if not name or name == "MessageDescription":
                continue
            here = [*trail, name]
            pre = prefix or _prefix_for(c)
            is_topic = any(
                str(k).rpartition("}")[2] == "topic" and to_bool(str(v), False)
                for k, v in c.attrib.items()
            )
            desc = child(c, "MessageDescription")
            if is_topic or desc is not None:
                out.append(
                    TopicDescription(
                        topic=f"{pre}:{'/'.join(here)}",
                        is_property=to_bool(
                            desc.get("IsProperty") if desc is not None else None, False
                        ),
                        source_items=_descriptions(desc, "Source"),
                        data_items=_descriptions(desc, "Data"),
                    )
                )
            walk(c, here, pre, depth + 1)

    walk(topic_set, [], "", 0)
    return tuple(out)
