"""Turning a rule's action specs into outbox actions, with priority arbitration.

A camera held by a higher-priority incident is not moved; a screen showing a
higher-priority incident does not get a lower one's pop-up. Every refusal is written to the
incident's timeline, so an operator can see why nothing moved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import assert_never

from callpoint.action_payloads import (
    BeaconPayload,
    DoorPayload,
    HttpPayload,
    Payload,
    PopupPayload,
    PresetPayload,
    PublishPayload,
    RecordPayload,
    RelayPayload,
    ShowPayload,
    VmsEventPayload,
)
from callpoint.config.models import (
    ActionSpec,
    HttpSpec,
    LocationConfig,
    PopupSpec,
    PresetSpec,
    PublishSpec,
    RecordSpec,
    RelaySpec,
    ShowSpec,
    VmsEventSpec,
)
from callpoint.config.site import Site
from callpoint.engine.state import EngineState, Hold
from callpoint.model import Action, Event, Incident

_FIELD = re.compile(r"\{(location|device|type|priority|incident)\}")


def expand(template: str, values: Mapping[str, str]) -> str:
    """Replace {location} {device} {type} {priority} {incident}; leave other braces alone."""
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template)


@dataclass(slots=True)
class Plan:
    """What one rule application produced."""

    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    consoles: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PlanContext:
    """Everything a spec needs to become actions."""

    site: Site
    state: EngineState
    event: Event
    location: LocationConfig | None
    incident: Incident | None
    priority: int
    now: datetime
    new_id: Callable[[], str]

    @property
    def incident_id(self) -> str:
        return self.incident.id if self.incident is not None else ""

    def values(self) -> dict[str, str]:
        return {
            "location": self.event.location,
            "device": self.event.device_id,
            "type": str(self.event.type),
            "priority": str(self.priority),
            "incident": self.incident_id,
        }

    def action(self, target: str, payload: Payload, delay_s: float = 0) -> Action:
        return Action(
            id=self.new_id(),
            payload=payload,
            target=target,
            event_id=self.event.id,
            incident_id=self.incident.id if self.incident is not None else None,
            priority=self.priority,
            created_at=self.now,
            due_at=self.now + timedelta(seconds=delay_s) if delay_s else None,
        )


def view_cameras(ctx: PlanContext, count: int | str) -> list[str]:
    """The location's cameras (nearest first), offline ones replaced by alternates."""
    if ctx.location is None:
        return []
    online = [c for c in ctx.location.cameras if c not in ctx.state.offline]
    if len(online) < len(ctx.location.cameras):
        online += [
            c for c in ctx.location.alternates if c not in ctx.state.offline and c not in online
        ]
    return online if count == "all" else online[: int(count)]


def consoles_for(ctx: PlanContext, selector: str | list[str]) -> list[str]:
    if selector == "assigned":
        return list(ctx.location.consoles) if ctx.location is not None else []
    return list(selector)


def _preset(ctx: PlanContext, spec: PresetSpec, plan: Plan) -> None:
    if ctx.location is None or ctx.incident is None:
        return
    cams = ctx.site.ptz_cameras(ctx.location, emergency=spec.emergency)
    cams = [(c, t) for c, t in cams if c not in ctx.state.offline] or []
    if spec.cameras == "primary":
        cams = cams[:1]
    extras = ctx.state.extras[ctx.incident.id]
    for cam, token in cams:
        hold = ctx.state.camera_holds.get(cam)
        if ctx.state.holder_outranks(hold, ctx.incident.id, ctx.priority):
            assert hold is not None
            plan.notes.append(f"{cam} kept on incident {hold.incident_id} (higher priority)")
            continue
        ctx.state.camera_holds[cam] = Hold(ctx.incident.id)
        extras.home_after[cam] = max(spec.home_after_s, extras.home_after.get(cam, 0.0))
        name = ctx.site.cameras[cam].presets.get(token, "")
        # home_after_s is kept with the action so a restart knows when the camera goes home.
        payload = PresetPayload(token, name, ctx.event.location, spec.home_after_s)
        plan.actions.append(ctx.action(cam, payload))


def _record(ctx: PlanContext, spec: RecordSpec, plan: Plan) -> None:
    payload = RecordPayload(
        mode="start",
        pre_roll_s=spec.pre_roll_s,
        duration_s=spec.duration_s,
        post_roll_s=spec.post_roll_s,
        forced=spec.forced,
        bookmark=expand(spec.bookmark, ctx.values()) if spec.bookmark else None,
        location=ctx.event.location,
    )
    for cam in view_cameras(ctx, spec.cameras):
        if ctx.incident is not None:
            hold = ctx.state.recordings.get(cam)
            if hold is None or not ctx.state.holder_outranks(hold, ctx.incident.id, ctx.priority):
                ctx.state.recordings[cam] = Hold(ctx.incident.id)
            extras = ctx.state.extras[ctx.incident.id]
            extras.post_roll[cam] = max(spec.post_roll_s, extras.post_roll.get(cam, 0.0))
        plan.actions.append(ctx.action(cam, payload))


def _screen(
    ctx: PlanContext, consoles: list[str], payload: ShowPayload | PopupPayload, plan: Plan
) -> None:
    for console in consoles:
        if ctx.incident is not None:
            hold = ctx.state.screens.get(console)
            if ctx.state.holder_outranks(hold, ctx.incident.id, ctx.priority):
                assert hold is not None
                plan.notes.append(
                    f"{payload.kind} on {console} withheld:"
                    f" incident {hold.incident_id} has the screen"
                )
                continue
            ctx.state.screens[console] = Hold(ctx.incident.id)
        if console not in plan.consoles:
            plan.consoles.append(console)
        plan.actions.append(ctx.action(console, payload))  # frozen: one shared by all


def _show(ctx: PlanContext, spec: ShowSpec, plan: Plan) -> None:
    payload = ShowPayload(
        tuple(view_cameras(ctx, spec.cameras)), ctx.event.location, spec.layout or None
    )
    _screen(ctx, consoles_for(ctx, spec.consoles), payload, plan)


def popup_payload(ctx: PlanContext, layout: str | None, escalation_level: int = 0) -> PopupPayload:
    """The pop-up for the context's incident, with every camera of its location."""
    return PopupPayload(
        incident_id=ctx.incident_id,
        location=ctx.event.location,
        device=ctx.event.device_id,
        event=ctx.event.type,
        cameras=tuple(view_cameras(ctx, "all")),
        layout=layout or None,
        escalation_level=escalation_level,
    )


def _popup(ctx: PlanContext, spec: PopupSpec, plan: Plan) -> None:
    consoles = consoles_for(ctx, spec.consoles)
    _screen(ctx, consoles, popup_payload(ctx, spec.layout), plan)


def _http(ctx: PlanContext, spec: HttpSpec, plan: Plan) -> None:
    values = ctx.values()
    body = expand(spec.body, values) if spec.body is not None else None
    payload = HttpPayload(method=spec.method, timeout_s=spec.timeout_s, body=body)
    plan.actions.append(ctx.action(expand(str(spec.url), values), payload))


def _relay(ctx: PlanContext, spec: RelaySpec, plan: Plan) -> None:
    payload: RelayPayload | DoorPayload | BeaconPayload
    match spec.do:
        case "relay":
            payload = RelayPayload(spec.output, spec.mode, spec.pulse_s)
        case "door":
            payload = DoorPayload(spec.output, spec.mode, spec.pulse_s)
        case "beacon":
            payload = BeaconPayload(spec.output, spec.mode, spec.pulse_s)
        case _:
            assert_never(spec.do)
    plan.actions.append(ctx.action(spec.device or ctx.event.device_id, payload))


def _vms(ctx: PlanContext, spec: VmsEventSpec, plan: Plan) -> None:
    ev = ctx.event
    payload = VmsEventPayload(spec.name, ev.location, ev.device_id, ev.type)
    plan.actions.append(ctx.action(spec.target, payload))


def _publish(ctx: PlanContext, spec: PublishSpec, plan: Plan) -> None:
    payload = PublishPayload(ctx.event.location, ctx.event.device_id, ctx.event.type)
    plan.actions.append(ctx.action(expand(spec.topic, ctx.values()), payload))


def plan_spec(ctx: PlanContext, spec: ActionSpec, plan: Plan) -> None:
    """Append the actions for one spec to `plan`."""
    match spec:
        case PresetSpec():
            _preset(ctx, spec, plan)
        case RecordSpec():
            _record(ctx, spec, plan)
        case ShowSpec():
            _show(ctx, spec, plan)
        case PopupSpec():
            _popup(ctx, spec, plan)
        case HttpSpec():
            _http(ctx, spec, plan)
        case RelaySpec():
            _relay(ctx, spec, plan)
        case VmsEventSpec():
            _vms(ctx, spec, plan)
        case PublishSpec():
            _publish(ctx, spec, plan)
        case _:
            # mypy proves this unreachable: a spec class added to ActionSpec without a
            # case above is not Never here, and the check fails.
            assert_never(spec)
