"""The seed 002 event/action table, row by row, under a fake clock."""

from __future__ import annotations

import pytest

from callpoint.action_payloads import (
    HomePayload,
    PopupPayload,
    PresetPayload,
    RecordPayload,
    ShowPayload,
)
from callpoint.config import Site
from callpoint.engine import Engine
from callpoint.model import ActionKind, EventType, IncidentState
from tests import factories as f
from tests.engine.helpers import Harness, of_kind, targets

PTZ = "TANKFARM-EAST-PTZ-01"
FIX = "TANKFARM-EAST-FIX-02"


@pytest.fixture
def h(example_site: Site) -> Harness:
    return Harness(Engine, example_site)


def test_off_hook_moves_nearest_ptz_records_and_pops_up_on_assigned_console_only(
    h: Harness,
) -> None:
    d = h.event("EXPH-03", EventType.OFF_HOOK)
    [preset] = of_kind(d, ActionKind.PRESET)
    moved = f.payload(preset, PresetPayload)
    assert (preset.target, moved.preset, moved.preset_name) == (PTZ, "7", "Gate")
    [show] = of_kind(d, ActionKind.SHOW)
    assert show.target == "dispatch" and f.payload(show, ShowPayload).cameras == (PTZ, FIX)
    records = of_kind(d, ActionKind.RECORD)
    assert {r.target for r in records} == {PTZ, FIX}
    assert all(30 <= f.payload(r, RecordPayload).duration_s <= 60 for r in records)
    assert targets(d, ActionKind.POPUP) == ["dispatch"]
    [inc] = d.incidents
    assert inc.state is IncidentState.OPEN and inc.priority == 10 and inc.consoles == ("dispatch",)
    assert d.incident_id == inc.id and all(a.incident_id == inc.id for a in d.actions)


def test_call_connected_holds_view_widens_and_marks_live(h: Harness) -> None:
    first = h.event("EXPH-03", EventType.OFF_HOOK)
    h.clock.advance(3)
    d = h.event("EXPH-03", EventType.CALL_CONNECTED)
    assert d.incident_id == first.incident_id
    assert of_kind(d, ActionKind.PRESET) == []  # the view is held, not moved
    [show] = of_kind(d, ActionKind.SHOW)
    assert f.payload(show, ShowPayload).cameras == (
        PTZ,
        FIX,
    )  # widened to every camera the post has
    assert {r.target for r in of_kind(d, ActionKind.RECORD)} == {PTZ, FIX}
    [inc] = d.incidents
    assert inc.live and inc.state is IncidentState.OPEN


def test_sos_raises_forces_recording_with_bookmark_and_pops_up_on_dispatch_and_supervisor(
    h: Harness,
) -> None:
    first = h.event("EXPH-03", EventType.OFF_HOOK)
    h.clock.advance(5)
    d = h.event("EXPH-03", EventType.SOS)
    [inc] = d.incidents
    assert inc.id == first.incident_id
    assert inc.state is IncidentState.RAISED and inc.priority == 90 and inc.trigger is EventType.SOS
    [preset] = of_kind(d, ActionKind.PRESET)
    assert f.payload(preset, PresetPayload).preset == "8"  # the wider emergency preset
    for action in of_kind(d, ActionKind.RECORD):
        rec = f.payload(action, RecordPayload)
        assert rec.forced is True
        assert rec.bookmark == "SOS at TANKFARM-EAST-POST-03 from EXPH-03"
        assert rec.duration_s > 60  # extended beyond the off-hook clip
    assert targets(d, ActionKind.POPUP) == ["dispatch", "supervisor"]
    assert f.payload(of_kind(d, ActionKind.POPUP)[0], PopupPayload).layout == "emergency-2x2"
    assert targets(d, ActionKind.BEACON) == ["IO-EAST-01"]


def test_sos_cleared_sends_presets_home_after_timeout_stops_after_post_roll_and_archives(
    h: Harness,
) -> None:
    h.event("EXPH-03", EventType.SOS)
    h.clock.advance(20)
    d = h.event("EXPH-03", EventType.SOS_CLEARED)
    [inc] = d.incidents
    assert inc.state is IncidentState.CLEARED
    assert of_kind(d, ActionKind.HOME) == []  # not yet: after the timeout
    assert targets(d, ActionKind.BEACON) == ["IO-EAST-01"]
    assert h.tick(59).actions == ()
    home = h.tick(1)  # home_after_s 60, post_roll_s 60
    [go_home] = of_kind(home, ActionKind.HOME)
    assert go_home.target == PTZ and f.payload(go_home, HomePayload).preset == "1"
    stops = of_kind(home, ActionKind.RECORD)
    assert {s.target for s in stops} == {PTZ, FIX} and all(
        f.payload(s, RecordPayload).mode == "stop" for s in stops
    )
    archived = h.tick(300)
    assert [i.state for i in archived.incidents] == [IncidentState.ARCHIVED]
    assert h.engine.state.incidents == {}


def test_call_ended_clears_a_routine_call_but_never_an_sos(h: Harness) -> None:
    h.event("EXPH-03", EventType.OFF_HOOK)
    d = h.event("EXPH-03", EventType.CALL_ENDED)
    assert d.incidents[0].state is IncidentState.CLEARED
    h.clock.advance(10)
    h.event("EXPH-03", EventType.SOS)
    h.clock.advance(10)
    d = h.event("EXPH-03", EventType.CALL_ENDED)
    assert all(i.state is not IncidentState.CLEARED for i in d.incidents)
    [sos] = [i for i in h.engine.state.incidents.values() if i.active]
    assert sos.trigger is EventType.SOS
