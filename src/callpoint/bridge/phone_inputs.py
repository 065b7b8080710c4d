"""How a phone's events become ONVIF digital inputs (pure: tables and one function).

A VMS's ONVIF driver understands `tns1:Device/Trigger/DigitalInput` property events
(InputToken, LogicalState) and nothing phone-specific, so each phone state is one input:
the VMS maps "input SOS went true" to its alarm. States that have no clearing event
(tamper) are momentary: true, then false again after `MOMENTARY_S`.
"""

from __future__ import annotations

from dataclasses import dataclass

from callpoint.model import EventType
from callpoint.onvif.server.kinds import PHONE_INPUTS

# The device server's phone kind names the inputs after the events (kinds.PHONE_INPUTS);
# the bridge adds `fault`.
OFF_HOOK, CALL_CONNECTED, SOS, TAMPER = PHONE_INPUTS
FAULT = "fault"
#: Every input of a bridged phone, in the order GetDigitalInputs lists them.
INPUT_TOKENS: tuple[str, ...] = (*PHONE_INPUTS, FAULT)
#: The relay output a VMS switches to release the phone's door (the phone kind's relay).
RELAY_TOKEN = "relay"  # noqa: S105 - an ONVIF token
#: A momentary input stays true this long, in seconds: longer than the few seconds a
#: VMS waits between PullMessages, so a VMS that polls sees both edges in order.
MOMENTARY_S = 5.0
#: Source item carrying the phone's location tag (after InputToken, which drivers key on).
LOCATION_ITEM = "Location"


@dataclass(frozen=True, slots=True)
class InputChange:
    """Set input `token` to `active`; `momentary` ones fall back after MOMENTARY_S."""

    token: str
    active: bool
    momentary: bool = False


_CHANGES: dict[EventType, tuple[InputChange, ...]] = {
    EventType.OFF_HOOK: (InputChange(OFF_HOOK, True),),
    EventType.CALL_CONNECTED: (InputChange(OFF_HOOK, True), InputChange(CALL_CONNECTED, True)),
    EventType.CALL_ENDED: (InputChange(CALL_CONNECTED, False), InputChange(OFF_HOOK, False)),
    EventType.SOS: (InputChange(SOS, True),),
    EventType.SOS_CLEARED: (InputChange(SOS, False),),
    EventType.TAMPER: (InputChange(TAMPER, True, momentary=True),),
    EventType.FAULT: (InputChange(FAULT, True),),
    EventType.FAULT_CLEARED: (InputChange(FAULT, False),),
}


def input_changes(event_type: EventType) -> tuple[InputChange, ...]:
    """The input changes an event causes (none for events a phone does not send)."""
    return _CHANGES.get(event_type, ())
