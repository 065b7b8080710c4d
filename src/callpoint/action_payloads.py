"""What each kind of action carries: one frozen, slotted dataclass per `ActionKind`.

An `Action`'s kind is its payload's `kind` (a class constant), so the two cannot disagree
and nothing is checked per action. Camera lists are tuples, durations floats, flags bools.
The store keeps a payload as versioned JSON (store/payload_codec.py); the API writes it
with lists as lists (console/serialize.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import ClassVar, Final, Literal, assert_never

from callpoint.model import ActionKind, EventType

RecordMode = Literal["start", "stop"]
SwitchMode = Literal["on", "off", "pulse"]


@dataclass(frozen=True, slots=True)
class PresetPayload:
    """Move a PTZ camera to a preset; `home_after_s` survives a restart with the action."""

    kind: ClassVar[Literal[ActionKind.PRESET]] = ActionKind.PRESET
    preset: str
    preset_name: str = ""
    location: str = ""
    home_after_s: float = 30.0


@dataclass(frozen=True, slots=True)
class HomePayload:
    """Send a camera home: to `preset` (its home preset) if set, else its home position."""

    kind: ClassVar[Literal[ActionKind.HOME]] = ActionKind.HOME
    location: str = ""
    preset: str | None = None


@dataclass(frozen=True, slots=True)
class RecordPayload:
    """Start a clip (with its pre-roll, length, post-roll, bookmark) or stop one."""

    kind: ClassVar[Literal[ActionKind.RECORD]] = ActionKind.RECORD
    mode: RecordMode = "start"
    pre_roll_s: float = 0.0
    duration_s: float = 0.0
    post_roll_s: float = 0.0
    forced: bool = False
    bookmark: str | None = None
    location: str = ""


@dataclass(frozen=True, slots=True)
class ShowPayload:
    """The camera view a console shows for an incident (nearest first)."""

    kind: ClassVar[Literal[ActionKind.SHOW]] = ActionKind.SHOW
    cameras: tuple[str, ...] = ()
    location: str = ""
    layout: str | None = None


@dataclass(frozen=True, slots=True)
class PopupPayload:
    """An incident pop-up on a console; `escalation_level` > 0 when an escalation sent it."""

    kind: ClassVar[Literal[ActionKind.POPUP]] = ActionKind.POPUP
    incident_id: str
    location: str
    device: str
    event: EventType
    cameras: tuple[str, ...] = ()
    layout: str | None = None
    escalation_level: int = 0


@dataclass(frozen=True, slots=True)
class SwitchFields:
    """What a switched output (relay, door strike, beacon coil) is told to do.

    `output` is a token or a 1-based index; `by` names who asked (an operator, the bridge).
    """

    output: str = "1"
    mode: SwitchMode = "pulse"
    pulse_s: float = 3.0
    by: str | None = None


@dataclass(frozen=True, slots=True)
class RelayPayload(SwitchFields):
    """Switch or pulse a device's relay output."""

    kind: ClassVar[Literal[ActionKind.RELAY]] = ActionKind.RELAY


@dataclass(frozen=True, slots=True)
class DoorPayload(SwitchFields):
    """Open (pulse), unlock (on) or lock (off) a door."""

    kind: ClassVar[Literal[ActionKind.DOOR]] = ActionKind.DOOR


@dataclass(frozen=True, slots=True)
class BeaconPayload(SwitchFields):
    """Drive a beacon or sounder coil."""

    kind: ClassVar[Literal[ActionKind.BEACON]] = ActionKind.BEACON


@dataclass(frozen=True, slots=True)
class HttpPayload:
    """Call a URL (`url`, else the action's target); see actions/http_call.py."""

    kind: ClassVar[Literal[ActionKind.HTTP]] = ActionKind.HTTP
    method: str = "POST"
    timeout_s: float = 5.0
    body: str | None = None
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    expect_status: str = "2xx"


@dataclass(frozen=True, slots=True)
class VmsEventPayload:
    """Raise the named event in a VMS connector."""

    kind: ClassVar[Literal[ActionKind.VMS_EVENT]] = ActionKind.VMS_EVENT
    name: str
    location: str
    device: str
    event: EventType


@dataclass(frozen=True, slots=True)
class PublishPayload:
    """Publish the event on a topic (the action's target)."""

    kind: ClassVar[Literal[ActionKind.PUBLISH]] = ActionKind.PUBLISH
    location: str
    device: str
    event: EventType


@dataclass(frozen=True, slots=True)
class EscalatePayload:
    """An unacknowledged incident escalated to a console, at this level of the chain."""

    kind: ClassVar[Literal[ActionKind.ESCALATE]] = ActionKind.ESCALATE
    level: int
    incident_id: str


Payload = (
    PresetPayload
    | HomePayload
    | RecordPayload
    | ShowPayload
    | PopupPayload
    | RelayPayload
    | DoorPayload
    | HttpPayload
    | VmsEventPayload
    | BeaconPayload
    | PublishPayload
    | EscalatePayload
)


def payload_type(kind: ActionKind) -> type[Payload]:
    """The payload class of `kind` (mypy proves every kind has one: see assert_never)."""
    match kind:
        case ActionKind.PRESET:
            return PresetPayload
        case ActionKind.HOME:
            return HomePayload
        case ActionKind.RECORD:
            return RecordPayload
        case ActionKind.SHOW:
            return ShowPayload
        case ActionKind.POPUP:
            return PopupPayload
        case ActionKind.RELAY:
            return RelayPayload
        case ActionKind.DOOR:
            return DoorPayload
        case ActionKind.HTTP:
            return HttpPayload
        case ActionKind.VMS_EVENT:
            return VmsEventPayload
        case ActionKind.BEACON:
            return BeaconPayload
        case ActionKind.PUBLISH:
            return PublishPayload
        case ActionKind.ESCALATE:
            return EscalatePayload
        case _:
            # A new ActionKind without a case here fails mypy: kind is not Never.
            assert_never(kind)


PAYLOAD_TYPES: Final[Mapping[ActionKind, type[Payload]]] = MappingProxyType(
    {k: payload_type(k) for k in ActionKind}
)
FIELD_NAMES: Final[Mapping[type[Payload], tuple[str, ...]]] = MappingProxyType(
    {t: tuple(f.name for f in fields(t)) for t in PAYLOAD_TYPES.values()}
)
"""Each payload class's field names, in order (dataclasses.fields costs a call each time)."""
