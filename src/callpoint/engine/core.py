"""The engine: the only place that decides.

Given the same site, events, operator commands and clock, it makes the same decisions; it
does no I/O and reads no clock of its own. Callers persist each `Decision` (as one store
`Write`) before they acknowledge what caused it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from callpoint.action_payloads import (
    DoorPayload,
    EscalatePayload,
    HomePayload,
    Payload,
    RecordPayload,
)
from callpoint.config.models import RuleConfig
from callpoint.config.site import Site
from callpoint.engine.decision import Decision, Step
from callpoint.engine.lifecycle import annotate, transition
from callpoint.engine.planner import Plan, PlanContext, plan_spec, popup_payload
from callpoint.engine.records import event_entry, placeholder_event
from callpoint.engine.restore import (
    FAULT_CLEARED_TYPES,
    FAULT_TYPES,
    arm_escalation,
    incident_key,
    rebuild_state,
)
from callpoint.engine.state import EngineState, Hold, IncidentExtras
from callpoint.engine.timers import Timer, TimerKind
from callpoint.model import (
    Action,
    AttrValue,
    AuditRecord,
    Event,
    Incident,
    IncidentState,
    TimelineEntry,
    new_id,
)

S = IncidentState


class UnknownIncidentError(LookupError):
    """An operator command named an incident the engine does not hold."""


class Engine:
    """Rules, incidents, priority arbitration, escalation and timers for one site."""

    def __init__(self, site: Site, ids: Callable[[], str] = new_id) -> None:
        self.site = site
        self.state = EngineState()
        self._ids = ids

    # -- events -----------------------------------------------------------------------

    def handle(self, event: Event, now: datetime) -> Decision:
        """Decide what `event` causes. Duplicates are returned marked `suppressed`."""
        window = self.site.config.engine.duplicate_window_s
        key = (event.device_id, event.type)
        last = self.state.last_accepted.get(key)
        if last is not None and now - last < timedelta(seconds=window):
            return Decision(event=dataclasses.replace(event, suppressed=True))
        self.state.remember(key, now, window)
        step = Step()
        if event.type in FAULT_TYPES:
            self.state.offline.add(event.device_id)
        elif event.type in FAULT_CLEARED_TYPES:
            self.state.offline.discard(event.device_id)
        rules = self.site.rules_for(event.type)
        key_ = incident_key(event.location, event.device_id, event.type)
        linked = self.state.by_location.get(key_)
        for rule in rules:
            if rule.clears:
                self._clear_by_rule(rule, event, now, step)
            linked = self._apply_rule(rule, event, now, step) or linked
        if not rules and linked is not None:
            inc = self.state.incidents[linked]
            self._put(step, annotate(inc, now, event_entry(now, "event", event)))
        return self._decision(step, event, linked)

    def _apply_rule(self, rule: RuleConfig, event: Event, now: datetime, step: Step) -> str | None:
        location = self.site.locations.get(event.location)
        incident: Incident | None = None
        if rule.opens_incident:
            incident = self._open_or_raise(rule, event, now, step)
        else:
            key = incident_key(event.location, event.device_id, event.type)
            active = self.state.by_location.get(key)
            incident = self.state.incidents.get(active) if active else None
        if incident is None and not rule.actions:
            return None
        priority = incident.priority if incident is not None else rule.priority
        ctx = PlanContext(
            self.site, self.state, event, location, incident, priority, now, self._ids
        )
        plan = Plan()
        for spec in rule.actions:
            plan_spec(ctx, spec, plan)
        step.actions.extend(plan.actions)
        if incident is not None:
            incident = self.state.incidents[incident.id]
            consoles = tuple(dict.fromkeys((*incident.consoles, *plan.consoles)))
            for note in plan.notes:
                incident = annotate(
                    incident, now, TimelineEntry(now, "arbitration", note, event.id)
                )
            if consoles != incident.consoles:
                incident = dataclasses.replace(incident, consoles=consoles)
            self._put(step, incident)
            return incident.id
        return None

    def _open_or_raise(self, rule: RuleConfig, event: Event, now: datetime, step: Step) -> Incident:
        key = incident_key(event.location, event.device_id, event.type)
        active_id = self.state.by_location.get(key)
        if active_id is None:
            inc = Incident(
                id=self._ids(),
                location=event.location,
                device_id=event.device_id,
                trigger=event.type,
                priority=rule.priority,
                state=S.OPEN,
                opened_at=now,
                updated_at=now,
                live=rule.marks_live,
                timeline=(event_entry(now, "opened", event),),
            )
            self.state.by_location[key] = inc.id
            self.state.extras[inc.id] = IncidentExtras(ack_timeout_s=rule.ack_timeout_s)
            self._arm_escalation(inc, rule.ack_timeout_s, now)
        else:
            inc = self.state.incidents[active_id]
            extras = self.state.extras[inc.id]
            if rule.priority > inc.priority:
                inc = transition(
                    inc,
                    S.RAISED,
                    now,
                    event_entry(now, "raised", event, f" (priority {rule.priority})"),
                    priority=rule.priority,
                    trigger=event.type,
                    device_id=event.device_id,
                    escalation_level=0,
                    live=inc.live or rule.marks_live,
                )
                extras.ack_timeout_s = rule.ack_timeout_s or extras.ack_timeout_s
                self._arm_escalation(inc, extras.ack_timeout_s, now)
            else:
                inc = annotate(
                    inc, now, event_entry(now, "event", event), live=inc.live or rule.marks_live
                )
        self.state.extras[inc.id].device_ids.add(event.device_id)
        self._put(step, inc)
        return inc

    def _clear_by_rule(self, rule: RuleConfig, event: Event, now: datetime, step: Step) -> None:
        key = incident_key(event.location, event.device_id, event.type)
        active_id = self.state.by_location.get(key)
        if active_id is None:
            return
        inc = self.state.incidents[active_id]
        if inc.trigger in rule.clears:
            self._clear(inc, now, event_entry(now, "cleared", event), step)

    def _clear(self, inc: Incident, now: datetime, entry: TimelineEntry, step: Step) -> None:
        inc = transition(inc, S.CLEARED, now, entry, cleared_at=now)
        key = incident_key(inc.location, inc.device_id, inc.trigger)
        if self.state.by_location.get(key) == inc.id:
            del self.state.by_location[key]
        extras = self.state.extras[inc.id]
        for cam, after in extras.home_after.items():
            self.state.timers.add(now + timedelta(seconds=after), TimerKind.HOME, inc.id, cam)
        for cam, after in extras.post_roll.items():
            self.state.timers.add(
                now + timedelta(seconds=after), TimerKind.RECORD_STOP, inc.id, cam
            )
        for console, hold in list(self.state.screens.items()):
            if hold.incident_id == inc.id:
                del self.state.screens[console]
        archive = self.site.config.engine.archive_after_s
        self.state.timers.add(now + timedelta(seconds=archive), TimerKind.ARCHIVE, inc.id)
        self._put(step, inc)

    # -- operator commands ------------------------------------------------------------

    def acknowledge(self, incident_id: str, user: str, now: datetime) -> Decision:
        """An operator takes the incident; stops its escalation. Raises IllegalTransitionError."""
        inc = self._get(incident_id)
        entry = TimelineEntry(now, "acknowledged", f"acknowledged by {user}", actor=user)
        inc = transition(inc, S.ACKNOWLEDGED, now, entry, acknowledged_by=user, acknowledged_at=now)
        step = Step()
        self._put(step, inc)
        step.audit.append(self._audit(now, user, "acknowledge", inc.id))
        return self._decision(step, None, None)

    def clear(self, incident_id: str, user: str, now: datetime) -> Decision:
        """An operator closes the incident (cameras go home after their timeout)."""
        inc = self._get(incident_id)
        step = Step()
        self._clear(inc, now, TimelineEntry(now, "cleared", f"cleared by {user}", actor=user), step)
        step.audit.append(self._audit(now, user, "clear", inc.id))
        return self._decision(step, None, None)

    def add_note(self, incident_id: str, user: str, text: str, now: datetime) -> Decision:
        """An operator's note on the timeline."""
        inc = self._get(incident_id)
        step = Step()
        self._put(step, annotate(inc, now, TimelineEntry(now, "note", text, actor=user)))
        step.audit.append(self._audit(now, user, "note", inc.id, {"text": text}))
        return self._decision(step, None, None)

    def release_door(
        self, incident_id: str, user: str, now: datetime, pulse_s: float = 5.0
    ) -> Decision:
        """An operator opens the door of the incident's device (intercom relay)."""
        inc = self._get(incident_id)
        step = Step()
        action = Action(
            id=self._ids(),
            payload=DoorPayload(output="1", mode="pulse", pulse_s=pulse_s, by=user),
            target=inc.device_id,
            event_id="",
            incident_id=inc.id,
            priority=inc.priority,
            created_at=now,
        )
        step.actions.append(action)
        text = f"door of {inc.device_id} released by {user}"
        self._put(step, annotate(inc, now, TimelineEntry(now, "door", text, actor=user)))
        step.audit.append(self._audit(now, user, "release_door", inc.id))
        return self._decision(step, None, None)

    # -- time -------------------------------------------------------------------------

    def next_due(self) -> datetime | None:
        """When `tick` next has something to do."""
        return self.state.timers.next_due()

    def tick(self, now: datetime) -> Decision:
        """Run every timer due by `now`: escalations, return-to-home, record stop, archive."""
        step = Step()
        for timer in self.state.timers.pop_due(now):
            inc = self.state.incidents.get(timer.incident_id)
            if inc is None:
                continue
            inc = step.incidents.get(inc.id, inc)
            match timer.kind:
                case TimerKind.ESCALATE:
                    self._escalate(inc, timer, now, step)
                case TimerKind.HOME:
                    self._home(inc, timer.target, now, step)
                case TimerKind.RECORD_STOP:
                    self._record_stop(inc, timer.target, now, step)
                case TimerKind.ARCHIVE:
                    self._archive(inc, now, step)
        return self._decision(step, None, None)

    def _arm_escalation(self, inc: Incident, timeout_s: float | None, now: datetime) -> None:
        if self.site.config.escalation.chain:
            arm_escalation(self.state, inc, timeout_s, now)

    def _escalate(self, inc: Incident, timer: Timer, now: datetime, step: Step) -> None:
        extras = self.state.extras[inc.id]
        if inc.state not in (S.OPEN, S.RAISED) or timer.generation != extras.escalation_generation:
            return
        chain = self.site.config.escalation.chain
        if inc.escalation_level >= len(chain):
            return
        console = chain[inc.escalation_level]
        level = inc.escalation_level + 1
        timeout = extras.ack_timeout_s or 0.0
        text = f"not acknowledged within {timeout:g} s: escalated to {console} (level {level})"
        inc = annotate(inc, now, TimelineEntry(now, "escalated", text), escalation_level=level)
        escalate = EscalatePayload(level=level, incident_id=inc.id)
        step.actions.append(self._incident_action(inc, console, escalate, now))
        hold = self.state.screens.get(console)
        if self.state.holder_outranks(hold, inc.id, inc.priority):
            text = f"escalation pop-up on {console} withheld: a higher-priority incident has it"
            inc = annotate(inc, now, TimelineEntry(now, "arbitration", text))
        else:
            self.state.screens[console] = Hold(inc.id)
            event = placeholder_event(inc, now)
            ctx = PlanContext(
                self.site,
                self.state,
                event,
                self.site.locations.get(inc.location),
                inc,
                inc.priority,
                now,
                self._ids,
            )
            popup = popup_payload(ctx, None, escalation_level=level)
            step.actions.append(self._incident_action(inc, console, popup, now))
            inc = dataclasses.replace(inc, consoles=tuple(dict.fromkeys((*inc.consoles, console))))
        self._put(step, inc)
        if level < len(chain) and timeout > 0:
            self.state.timers.add(
                now + timedelta(seconds=timeout),
                TimerKind.ESCALATE,
                inc.id,
                generation=extras.escalation_generation,
            )

    def _home(self, inc: Incident, camera: str, now: datetime, step: Step) -> None:
        hold = self.state.camera_holds.get(camera)
        if hold is not None and hold.incident_id != inc.id:
            return  # another incident took the camera since; it goes home after that one
        self.state.camera_holds.pop(camera, None)
        preset = self.site.cameras[camera].home_preset if camera in self.site.cameras else None
        home = HomePayload(location=inc.location, preset=preset)
        step.actions.append(self._incident_action(inc, camera, home, now))

    def _record_stop(self, inc: Incident, camera: str, now: datetime, step: Step) -> None:
        hold = self.state.recordings.get(camera)
        if hold is not None and hold.incident_id != inc.id:
            return  # another incident is recording on this camera now
        self.state.recordings.pop(camera, None)
        stop = RecordPayload(mode="stop", location=inc.location)
        step.actions.append(self._incident_action(inc, camera, stop, now))

    def _archive(self, inc: Incident, now: datetime, step: Step) -> None:
        if inc.state is not S.CLEARED:
            return
        inc = transition(inc, S.ARCHIVED, now, TimelineEntry(now, "archived", "archived"))
        self._put(step, inc)
        del self.state.incidents[inc.id]
        self.state.extras.pop(inc.id, None)

    # -- restart ----------------------------------------------------------------------

    def restore(
        self, incidents: Sequence[Incident], actions: Sequence[Action], now: datetime
    ) -> None:
        """Rebuild memory from the store after a restart (see engine/restore.py)."""
        self.state = rebuild_state(self.site, incidents, actions, now)

    # -- helpers ----------------------------------------------------------------------

    def _get(self, incident_id: str) -> Incident:
        inc = self.state.incidents.get(incident_id)
        if inc is None:
            raise UnknownIncidentError(incident_id)
        return inc

    def _put(self, step: Step, inc: Incident) -> None:
        self.state.incidents[inc.id] = inc
        step.incidents[inc.id] = inc

    def _decision(self, step: Step, event: Event | None, incident_id: str | None) -> Decision:
        return Decision(
            event=event,
            incident_id=incident_id,
            incidents=tuple(step.incidents.values()),
            actions=tuple(step.actions),
            audit=tuple(step.audit),
        )

    def _audit(
        self,
        now: datetime,
        user: str,
        what: str,
        subject: str,
        detail: dict[str, AttrValue] | None = None,
    ) -> AuditRecord:
        return AuditRecord(self._ids(), now, user, what, subject, detail or {})

    def _incident_action(
        self,
        inc: Incident,
        target: str,
        payload: Payload,
        now: datetime,
    ) -> Action:
        return Action(
            id=self._ids(),
            payload=payload,
            target=target,
            event_id="",
            incident_id=inc.id,
            priority=inc.priority,
            created_at=now,
        )
