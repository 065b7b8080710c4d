"""Subscription filters: topic and message-content expressions (ONVIF Core event filters).

A wsnt:Filter may hold several TopicExpression and MessageContent elements; a message is
delivered only if it satisfies every one of them (WS-BaseNotification 4.2). Topic
expressions use the ConcreteSet dialect (topics.TopicFilter). Message content uses the
ONVIF ItemFilter dialect: an XPath 1.0 boolean over the tt:Message, such as
`boolean(//tt:SimpleItem[@Name="InputToken" and @Value="call-button"])`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from lxml import etree

from callpoint.onvif.namespaces import TT
from callpoint.onvif.server.event_xml import tt_message
from callpoint.onvif.server.topics import NotificationMessage, TopicFilter

log = logging.getLogger(__name__)

#: Longest message-content expression accepted, in characters: ItemFilter expressions are
#: a few predicates; anything longer is not a filter a VMS sends.
MAX_CONTENT_EXPRESSION_CHARS = 1024


class MessageContentFilter:
    """A compiled ItemFilter XPath, evaluated against each message's tt:Message."""

    __slots__ = ("_xpath", "expression", "failures")

    def __init__(self, expression: str, namespaces: Mapping[str, str]) -> None:
        if not expression.strip():
            raise ValueError("empty message content expression")
        if len(expression) > MAX_CONTENT_EXPRESSION_CHARS:
            raise ValueError(f"expression longer than {MAX_CONTENT_EXPRESSION_CHARS} characters")
        self.expression = expression
        try:
            # regexp=False: no EXSLT regular expressions, so no backtracking bombs.
            self._xpath = etree.XPath(
                expression, namespaces={"tt": TT, **namespaces}, regexp=False, smart_strings=False
            )
            # libxml2 compiles some broken expressions ("boolean(") and unknown functions;
            # one trial evaluation finds those before the subscription exists.
            self._xpath(etree.Element(f"{{{TT}}}Message"))
        except etree.XPathError as exc:
            raise ValueError(f"not a usable XPath expression: {exc}") from exc
        self.failures = 0

    def matches(self, message: NotificationMessage) -> bool:
        """Whether the expression is true for this message (an evaluation error: no)."""
        try:
            return bool(self._xpath(tt_message(None, message)))
        except etree.XPathError:
            self.failures += 1
            if self.failures == 1:
                log.info("message content filter fails to evaluate: %s", self.expression)
            return False


class EventFilter:
    """All the topic and message-content conditions of one subscription."""

    __slots__ = ("content", "topics")

    def __init__(
        self, topics: tuple[TopicFilter, ...] = (), content: tuple[MessageContentFilter, ...] = ()
    ) -> None:
        self.topics = topics
        self.content = content

    def matches(self, message: NotificationMessage) -> bool:
        """True when every condition holds."""
        return all(t.matches(message.topic) for t in self.topics) and all(
            c.matches(message) for c in self.content
        )
