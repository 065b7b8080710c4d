"""Event topics the virtual device announces (GetEventProperties) and sends.

Topic paths are relative to the ONVIF topic namespace `tns1`
(http://www.onvif.org/ver10/topics). The Source/Data item names and types are the ones
the ONVIF Core, PTZ and Door Control specifications give for each topic, which is what
VMS drivers key on (a DigitalInput message without `InputToken` and `LogicalState` is
ignored by them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PropertyOperation(StrEnum):
    """tt:PropertyOperation (ONVIF Core property events)."""

    INITIALIZED = "Initialized"
    CHANGED = "Changed"
    DELETED = "Deleted"


@dataclass(frozen=True, slots=True)
class ItemDescription:
    """tt:SimpleItemDescription: name and XML Schema type (a QName string)."""

    name: str
    type: str


@dataclass(frozen=True, slots=True)
class TopicDescription:
    """One leaf of the device's topic set, with its message description."""

    path: str
    is_property: bool
    source: tuple[ItemDescription, ...]
    data: tuple[ItemDescription, ...]


@dataclass(frozen=True, slots=True)
class SimpleItem:
    """tt:SimpleItem: a name/value pair in a message's Source, Key or Data."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class NotificationMessage:
    """One wsnt:NotificationMessage holding a tt:Message."""

    topic: str
    utc_time: datetime
    operation: PropertyOperation | None
    source: tuple[SimpleItem, ...]
    data: tuple[SimpleItem, ...]

    def restamped(self, utc_time: datetime, operation: PropertyOperation) -> NotificationMessage:
        """The same property state, as sent again (Initialized on subscription start)."""
        return NotificationMessage(self.topic, utc_time, operation, self.source, self.data)


# ONVIF Core, digital inputs: InputToken/LogicalState.
DIGITAL_INPUT = TopicDescription(
    "Device/Trigger/DigitalInput",
    True,
    (ItemDescription("InputToken", "tt:ReferenceToken"),),
    (ItemDescription("LogicalState", "xs:boolean"),),
)


def digital_input_topic(extra_source: tuple[str, ...] = ()) -> TopicDescription:
    """The DigitalInput topic, declaring extra xs:string Source items after InputToken."""
    if not extra_source:
        return DIGITAL_INPUT
    extra = tuple(ItemDescription(name, "xs:string") for name in extra_source)
    return TopicDescription(
        DIGITAL_INPUT.path, True, DIGITAL_INPUT.source + extra, DIGITAL_INPUT.data
    )


# ONVIF Core, relay outputs: RelayToken/LogicalState.
RELAY = TopicDescription(
    "Device/Trigger/Relay",
    True,
    (ItemDescription("RelayToken", "tt:ReferenceToken"),),
    (ItemDescription("LogicalState", "tt:RelayLogicalState"),),
)
# ONVIF Door Control Service Specification, door mode event.
DOOR_MODE = TopicDescription(
    "Door/State/DoorMode",
    True,
    (ItemDescription("DoorToken", "pt:ReferenceToken"),),
    (ItemDescription("State", "tdc:DoorMode"),),
)
# ONVIF Access Control Service Specification, access point enabled state.
ACCESS_POINT_ENABLED = TopicDescription(
    "AccessPoint/State/Enabled",
    True,
    (ItemDescription("AccessPointToken", "pt:ReferenceToken"),),
    (ItemDescription("State", "xs:boolean"),),
)
# ONVIF PTZ Service Specification, preset reached.
PTZ_PRESET_REACHED = TopicDescription(
    "PTZController/PTZPresets/Reached",
    False,
    (ItemDescription("PTZConfigurationToken", "tt:ReferenceToken"),),
    (
        ItemDescription("PresetToken", "tt:ReferenceToken"),
        ItemDescription("PresetName", "tt:Name"),
    ),
)
# ONVIF Core, motion alarm of a video source.
MOTION_ALARM = TopicDescription(
    "VideoSource/MotionAlarm",
    True,
    (ItemDescription("Source", "tt:ReferenceToken"),),
    (ItemDescription("State", "xs:boolean"),),
)


#: Longest topic expression accepted, in characters: a device's whole topic set, joined
#: with `|`, stays far below; longer is memory a subscriber should not get to pin.
MAX_TOPIC_EXPRESSION_CHARS = 4096


class TopicFilter:
    """A wsnt:TopicExpression of the ConcreteSet dialect: alternatives joined by `|`.

    Namespace prefixes are ignored per path step; `Path//.` matches Path and all below.
    """

    __slots__ = ("_exact", "_prefixes")

    def __init__(self, expression: str) -> None:
        if len(expression) > MAX_TOPIC_EXPRESSION_CHARS:
            raise ValueError(
                f"topic expression longer than {MAX_TOPIC_EXPRESSION_CHARS} characters"
            )
        exact: set[str] = set()
        prefixes: set[str] = set()
        for alternative in expression.split("|"):
            alternative = alternative.strip()
            if not alternative:
                continue
            if alternative.endswith("//."):
                prefixes.add(_strip_prefixes(alternative[:-3]))
            else:
                exact.add(_strip_prefixes(alternative))
        if not exact and not prefixes:
            raise ValueError("empty topic expression")
        self._exact = frozenset(exact)
        self._prefixes = frozenset(prefixes)

    def matches(self, topic: str) -> bool:
        """Whether a topic path (relative to tns1) is selected by this filter."""
        if topic in self._exact:
            return True
        return any(topic == p or topic.startswith(p + "/") for p in self._prefixes)


def _strip_prefixes(path: str) -> str:
    return "/".join(step.rpartition(":")[2] for step in path.strip("/").split("/"))
