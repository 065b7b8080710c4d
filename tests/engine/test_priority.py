"""SOS overrides off-hook; escalation; duplicates; failover to alternates; determinism."""

from __future__ import annotations

import pytest

from callpoint.action_payloads import PopupPayload
from callpoint.config import Site
from callpoint.engine import Engine, IllegalTransitionError, UnknownIncidentError
from callpoint.model import ActionKind, EventType, IncidentState
from tests import factories as f
from tests.engine.helpers import Harness, of_kind, targets

PTZ = "TANKFARM-EAST-PTZ-01"


@pytest.fixture
def h(example_site: Site) -> Harness:
    return Harness(Engine, example_site)


def test_camera_held_by_sos_is_not_moved_by_off_hook_elsewhere(h: Harness) -> None:
    sos = h.event("EXPH-03", EventType.SOS)
    assert targets(sos, ActionKind.PRESET) == [PTZ]
    h.clock.advance(2)
    d = h.event("EXPH-07", EventType.OFF_HOOK)  # post 07 also uses PTZ-01 (preset 2)
    assert of_kind(d, ActionKind.PRESET) == []
    [routine] = d.incidents
    assert routine.id != sos.incident_id
    assert any(PTZ in e.text and e.kind == "arbitration" for e in routine.timeline)


def test_a_call_raised_to_sos_keeps_its_camera_and_screen_from_a_routine_call(
    h: Harness,
) -> None:
    first = h.event("EXPH-03", EventType.OFF_HOOK)
    assert targets(first, ActionKind.PRESET) == [PTZ]
    raised = h.event("EXPH-03", EventType.SOS)  # the same incident, now priority 90
    assert raised.incident_id == first.incident_id
    d = h.event("EXPH-07", EventType.OFF_HOOK)  # priority 10, wants PTZ-01 and dispatch
    assert of_kind(d, ActionKind.PRESET) == []
    assert targets(d, ActionKind.POPUP) == []


def test_routine_call_never_replaces_an_emergency_on_a_console(h: Harness) -> None:
    h.event("EXPH-03", EventType.SOS)
    d = h.event("EXPH-07", EventType.OFF_HOOK)
    assert targets(d, ActionKind.POPUP) == []  # dispatch is showing the SOS
    assert targets(d, ActionKind.SHOW) == []
    [routine] = d.incidents
    assert any("withheld" in e.text for e in routine.timeline)


def test_sos_takes_camera_and_screen_from_a_routine_call(h: Harness) -> None:
    h.event("EXPH-07", EventType.OFF_HOOK)
    d = h.event("EXPH-03", EventType.SOS)
    assert targets(d, ActionKind.PRESET) == [PTZ]
    assert "dispatch" in targets(d, ActionKind.POPUP)


def test_routine_camera_goes_home_only_after_the_sos_releases_it(h: Harness) -> None:
    h.event("EXPH-07", EventType.OFF_HOOK)
    h.event("EXPH-03", EventType.SOS)
    h.event("EXPH-07", EventType.CALL_ENDED)  # the routine call ends first
    assert of_kind(h.tick(60), ActionKind.HOME) == []  # SOS still holds PTZ-01
    h.event("EXPH-03", EventType.SOS_CLEARED)
    assert targets(h.tick(60), ActionKind.HOME) == [PTZ]


def test_unacknowledged_sos_escalates_to_supervisor_then_wall(h: Harness) -> None:
    h.event("EXPH-03", EventType.SOS)
    assert h.tick(29).actions == ()
    first = h.tick(1)
    assert targets(first, ActionKind.ESCALATE) == ["supervisor"]
    second = h.tick(30)
    assert targets(second, ActionKind.ESCALATE) == ["wall"]
    assert targets(second, ActionKind.POPUP) == ["wall"]
    [inc] = second.incidents
    assert inc.escalation_level == 2 and "wall" in inc.consoles
    assert h.tick(600).actions == ()  # the chain is exhausted


def test_acknowledgement_stops_escalation_and_is_audited(h: Harness) -> None:
    sos = h.event("EXPH-03", EventType.SOS)
    assert sos.incident_id is not None
    h.clock.advance(10)
    ack = h.engine.acknowledge(sos.incident_id, "alice", h.clock.now)
    [inc] = ack.incidents
    assert inc.state is IncidentState.ACKNOWLEDGED and inc.acknowledged_by == "alice"
    [audit] = ack.audit
    assert (audit.actor, audit.action, audit.subject) == ("alice", "acknowledge", inc.id)
    assert of_kind(h.tick(120), ActionKind.ESCALATE) == []
    with pytest.raises(IllegalTransitionError):
        h.engine.acknowledge(sos.incident_id, "bob", h.clock.now)
    with pytest.raises(UnknownIncidentError):
        h.engine.acknowledge("no-such-incident", "bob", h.clock.now)


def test_a_raise_after_acknowledgement_needs_a_new_acknowledgement(h: Harness) -> None:
    d = h.event("EXPH-03", EventType.OFF_HOOK)
    assert d.incident_id is not None
    h.engine.acknowledge(d.incident_id, "alice", h.clock.now)
    raised = h.event("EXPH-03", EventType.SOS)
    assert raised.incidents[0].state is IncidentState.RAISED
    assert targets(h.tick(30), ActionKind.ESCALATE) == ["supervisor"]


def test_duplicate_inside_window_is_kept_but_marked_suppressed(h: Harness) -> None:
    first = h.event("EXPH-03", EventType.SOS)
    h.clock.advance(1)
    dup = h.event("EXPH-03", EventType.SOS)
    assert dup.event is not None and dup.event.suppressed
    assert dup.actions == () and dup.incidents == ()
    h.clock.advance(1.5)
    again = h.event("EXPH-03", EventType.SOS)
    assert again.event is not None and not again.event.suppressed
    assert again.incident_id == first.incident_id


def test_offline_camera_is_replaced_by_alternates_and_its_fault_is_a_separate_incident(
    h: Harness,
) -> None:
    fault = h.event("TANKFARM-EAST-FIX-02", EventType.FAULT)
    assert targets(fault, ActionKind.POPUP) == ["supervisor"]
    d = h.event("EXPH-03", EventType.OFF_HOOK)
    assert d.incident_id != fault.incident_id
    [popup] = of_kind(d, ActionKind.POPUP)
    assert f.payload(popup, PopupPayload).cameras == (PTZ, "TANKFARM-EAST-FIX-05")
    h.clock.advance(5)
    cleared = h.event("TANKFARM-EAST-FIX-02", EventType.FAULT_CLEARED)
    assert [i.id for i in cleared.incidents] == [fault.incident_id]
    assert cleared.incidents[0].state is IncidentState.CLEARED
    h.clock.advance(5)
    h.event("EXPH-03", EventType.CALL_ENDED)
    again = h.event("EXPH-03", EventType.OFF_HOOK)
    [popup] = of_kind(again, ActionKind.POPUP)
    assert f.payload(popup, PopupPayload).cameras == (PTZ, "TANKFARM-EAST-FIX-02")


def test_same_inputs_give_the_same_decisions(example_site: Site) -> None:
    def run() -> list[object]:
        h = Harness(Engine, example_site)
        out: list[object] = [h.event("EXPH-03", EventType.OFF_HOOK)]
        h.clock.advance(4)
        out.append(h.event("EXPH-07", EventType.SOS))
        out.extend(h.tick(30) for _ in range(4))
        return out

    assert run() == run()
