"""Engine memory rebuilt from the store after a restart, and the incident keys it uses.

Active incidents get their holds and escalation back; cleared ones their pending
return-to-home, record-stop and archive timers. Times already past fire at the next tick,
so a restart delays nothing that was due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import assert_never

from callpoint.action_payloads import (
    BeaconPayload,
    DoorPayload,
    EscalatePayload,
    HomePayload,
    HttpPayload,
    PopupPayload,
    PresetPayload,
    PublishPayload,
    RecordPayload,
    RelayPayload,
    ShowPayload,
    VmsEventPayload,
)
from callpoint.config.site import Site
from callpoint.engine.state import EngineState, Hold, IncidentExtras
from callpoint.engine.timers import TimerKind
from callpoint.model import Action, EventType, Incident, IncidentState

S = IncidentState
FAULT_TYPES = frozenset({EventType.FAULT})
FAULT_CLEARED_TYPES = frozenset({EventType.FAULT_CLEARED})


def incident_key(location: str, device_id: str, event_type: EventType) -> str:
    """Which incident an event belongs to: one per location, but faults per device.

    A camera fault must not swallow a person's call at the same post, nor the reverse.
    """
    if event_type in FAULT_TYPES or event_type in FAULT_CLEARED_TYPES:
        return f"{location}/{device_id}"
    return location


def arm_escalation(
    state: EngineState, inc: Incident, timeout_s: float | None, since: datetime
) -> None:
    """(Re)start the acknowledgement clock; older escalation timers become stale."""
    if timeout_s is None:
        return
    extras = state.extras[inc.id]
    extras.escalation_generation += 1
    state.timers.add(
        since + timedelta(seconds=timeout_s),
        TimerKind.ESCALATE,
        inc.id,
        generation=extras.escalation_generation,
    )


def rebuild_state(
    site: Site, incidents: Sequence[Incident], actions: Sequence[Action], now: datetime
) -> EngineState:
    """Engine memory for these stored incidents and actions."""
    state = EngineState()
    for inc in sorted(incidents, key=lambda i: i.opened_at):
        if inc.state is S.ARCHIVED:
            continue
        state.incidents[inc.id] = inc
        rules = [r for r in site.rules_for(inc.trigger) if r.opens_incident]
        timeout = max((r.ack_timeout_s or 0.0 for r in rules), default=0.0) or None
        state.extras[inc.id] = IncidentExtras(ack_timeout_s=timeout)
        if inc.active:
            state.by_location[incident_key(inc.location, inc.device_id, inc.trigger)] = inc.id
    for action in sorted(actions, key=lambda a: a.created_at):
        _restore_action(state, action)
    for inc in state.incidents.values():
        _restore_timers(site, state, inc, now)
    return state


def _restore_action(state: EngineState, action: Action) -> None:
    inc = state.incidents.get(action.incident_id or "")
    if inc is None:
        return
    extras = state.extras[inc.id]
    hold = Hold(inc.id)
    cam = action.target
    # Every payload type is named: mypy's assert_never fails if a new kind is not decided.
    match action.payload:
        case PresetPayload(home_after_s=after):
            extras.home_after[cam] = after
            if inc.active:
                state.camera_holds[cam] = hold
        case HomePayload():
            extras.home_after.pop(cam, None)  # it already went home
        case RecordPayload(mode="stop"):
            extras.post_roll.pop(cam, None)
        case RecordPayload(post_roll_s=post_roll):
            extras.post_roll[cam] = post_roll
            if inc.active:
                state.recordings[cam] = hold
        case PopupPayload() | ShowPayload():
            if inc.active:
                state.screens[action.target] = hold
        case (
            RelayPayload()
            | DoorPayload()
            | BeaconPayload()
            | HttpPayload()
            | VmsEventPayload()
            | PublishPayload()
            | EscalatePayload()
        ):
            pass  # hold nothing the engine must remember
        case _:
            assert_never(action.payload)


def _restore_timers(site: Site, state: EngineState, inc: Incident, now: datetime) -> None:
    extras = state.extras[inc.id]
    if inc.active:
        if (
            inc.state is not S.ACKNOWLEDGED
            and extras.ack_timeout_s
            and site.config.escalation.chain
        ):
            # Count from the last open, raise or escalation, as before the restart.
            marks = [e.at for e in inc.timeline if e.kind in ("opened", "raised", "escalated")]
            arm_escalation(state, inc, extras.ack_timeout_s, marks[-1] if marks else inc.updated_at)
        return
    cleared = inc.cleared_at or now
    for cam, after in extras.home_after.items():
        state.timers.add(cleared + timedelta(seconds=after), TimerKind.HOME, inc.id, cam)
    for cam, after in extras.post_roll.items():
        state.timers.add(cleared + timedelta(seconds=after), TimerKind.RECORD_STOP, inc.id, cam)
    archive = site.config.engine.archive_after_s
    state.timers.add(cleared + timedelta(seconds=archive), TimerKind.ARCHIVE, inc.id)
