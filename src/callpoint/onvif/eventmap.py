"""Map ONVIF notifications to callpoint event types with a small rule list.

Pure: ``map_event(rules, notification)`` returns the first matching rule's event type and
the attributes to keep, or None. Config supplies rules per device; :data:`DEFAULT_RULES`
covers the ONVIF topics every integrator expects (digital inputs, motion, doors, tamper).
Event types are plain strings here so this library stays independent of callpoint.model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from callpoint.onvif.notification import NotificationMessage

_NO_ITEMS: Mapping[str, str] = MappingProxyType({})
_TRUE = frozenset({"true", "1", "active", "on"})
_FALSE = frozenset({"false", "0", "inactive", "off"})


@dataclass(frozen=True, slots=True)
class EventRule:
    """If a notification's topic matches ``topic`` (a glob on the ``tns1:`` form, ``*``
    within one level, ``**`` across levels) and its item ``item`` equals ``value`` (booleans
    compared loosely, others case-insensitively) and every ``source`` item matches, the
    event is ``event_type``. ``item=None`` matches any message on the topic."""

    topic: str
    event_type: str
    item: str | None = None
    value: str | None = None
    source: Mapping[str, str] = field(default_factory=lambda: _NO_ITEMS)
    skip_initialized: bool = True


@dataclass(frozen=True, slots=True)
class MappedEvent:
    """What a notification became: the type, the rule that fired, and flat attributes."""

    event_type: str
    rule: EventRule
    attributes: Mapping[str, str]


@functools.lru_cache(maxsize=256)
def _topic_regex(pattern: str) -> re.Pattern[str]:
    # "**" spans levels, "*" stays within one level.
    parts = [re.escape(p).replace(r"\*", "[^/]*") for p in pattern.split("**")]
    return re.compile(".*".join(parts))


def _topic_matches(pattern: str, topic: str) -> bool:
    return pattern == topic or _topic_regex(pattern).fullmatch(topic) is not None


def _value_matches(expected: str, got: str | None) -> bool:
    if got is None:
        return False
    e, g = expected.strip().lower(), got.strip().lower()
    if e in _TRUE:
        return g in _TRUE
    if e in _FALSE:
        return g in _FALSE
    return e == g


def rule_matches(rule: EventRule, note: NotificationMessage) -> bool:
    """True if ``rule`` applies to ``note``."""
    msg = note.message
    if rule.skip_initialized and (msg.property_operation or "").lower() == "initialized":
        return False
    if not _topic_matches(rule.topic, note.topic):
        return False
    for name, want in rule.source.items():
        if not _value_matches(want, dict(msg.source).get(name)):
            return False
    if rule.item is None:
        return True
    return rule.value is None or _value_matches(rule.value, msg.item(rule.item))


def map_event(rules: Iterable[EventRule], note: NotificationMessage) -> MappedEvent | None:
    """The first rule that matches, as a :class:`MappedEvent`; None if none does."""
    for rule in rules:
        if rule_matches(rule, note):
            attrs = {"topic": note.topic}
            if note.message.property_operation:
                attrs["property_operation"] = note.message.property_operation
            for prefix, items in (("source", note.message.source), ("data", note.message.data)):
                for n, v in items:
                    attrs[f"{prefix}.{n}"] = v
            return MappedEvent(rule.event_type, rule, MappingProxyType(attrs))
    return None


DEFAULT_RULES: tuple[EventRule, ...] = (
    EventRule("tns1:Device/Trigger/DigitalInput", "input_active", "LogicalState", "true"),
    EventRule("tns1:Device/Trigger/DigitalInput", "input_inactive", "LogicalState", "false"),
    EventRule("tns1:Device/IO/**", "input_active", "LogicalState", "true"),
    EventRule("tns1:Device/IO/**", "input_inactive", "LogicalState", "false"),
    EventRule("tns1:RuleEngine/CellMotionDetector/Motion", "motion", "IsMotion", "true"),
    EventRule("tns1:RuleEngine/**/Motion", "motion", "IsMotion", "true"),
    EventRule("tns1:VideoSource/MotionAlarm", "motion", "State", "true"),
    EventRule("tns1:VideoSource/GlobalSceneChange/**", "tamper", "State", "true"),
    EventRule("tns1:RuleEngine/TamperDetector/Tamper", "tamper", "IsTamper", "true"),
    # Door events carry their state in the Data item "State" (tdc:DoorAlarmState etc.).
    EventRule("tns1:Door/State/DoorAlarm", "door_forced", "State", "DoorForcedOpen"),
    EventRule("tns1:Door/State/DoorPhysicalState", "door_open", "State", "Open"),
    EventRule("tns1:Door/State/DoorTamper", "tamper", "State", "TamperDetected"),
    EventRule("tns1:Device/HardwareFailure/**", "fault"),
)
"""Common ONVIF topics mapped to callpoint's event types. Call buttons have no ONVIF topic
(vendors use their own, or a digital input): site config adds those rules; an
AccessControl credential request is not a button press and is left unmapped."""
