"""A restart loses no timer: escalation, return-to-home and record stop carry on."""

from __future__ import annotations

from callpoint.action_payloads import RecordPayload
from callpoint.config import Site
from callpoint.engine import Decision, Engine
from callpoint.model import Action, ActionKind, EventType, Incident, IncidentState
from tests import factories as f
from tests.engine.helpers import Harness, of_kind, targets

PTZ = "TANKFARM-EAST-PTZ-01"


class Recorder:
    """Keeps what a store would keep: the last value of each incident, every action."""

    def __init__(self) -> None:
        self.incidents: dict[str, Incident] = {}
        self.actions: list[Action] = []

    def keep(self, d: Decision) -> Decision:
        self.incidents.update({i.id: i for i in d.incidents})
        self.actions.extend(d.actions)
        return d


def restarted(h: Harness, rec: Recorder) -> None:
    h.engine = Engine(h.engine.site)
    h.engine.restore(list(rec.incidents.values()), rec.actions, h.clock.now)


def test_escalation_after_restart_counts_from_the_sos_not_from_the_restart(
    example_site: Site,
) -> None:
    h, rec = Harness(Engine, example_site), Recorder()
    rec.keep(h.event("EXPH-03", EventType.SOS))
    h.clock.advance(20)
    restarted(h, rec)
    assert of_kind(h.tick(9), ActionKind.ESCALATE) == []
    assert targets(h.tick(1), ActionKind.ESCALATE) == ["supervisor"]  # 30 s after the SOS


def test_cleared_incident_still_sends_its_camera_home_after_a_restart(example_site: Site) -> None:
    h, rec = Harness(Engine, example_site), Recorder()
    rec.keep(h.event("EXPH-03", EventType.SOS))
    h.clock.advance(10)
    rec.keep(h.event("EXPH-03", EventType.SOS_CLEARED))
    h.clock.advance(30)
    restarted(h, rec)
    assert of_kind(h.tick(29), ActionKind.HOME) == []
    home = h.tick(1)  # home_after_s 60 from the clearing, kept with the preset action
    assert targets(home, ActionKind.HOME) == [PTZ]
    assert {f.payload(a, RecordPayload).mode for a in of_kind(home, ActionKind.RECORD)} == {"stop"}


def test_camera_already_sent_home_is_not_sent_again_after_a_restart(example_site: Site) -> None:
    h, rec = Harness(Engine, example_site), Recorder()
    rec.keep(h.event("EXPH-03", EventType.SOS))
    rec.keep(h.event("EXPH-03", EventType.SOS_CLEARED))
    rec.keep(h.tick(61))
    restarted(h, rec)
    assert of_kind(h.tick(1), ActionKind.HOME) == []
    archived = h.tick(300)
    assert [i.state for i in archived.incidents] == [IncidentState.ARCHIVED]


def test_holds_survive_a_restart_so_sos_still_outranks_a_routine_call(example_site: Site) -> None:
    h, rec = Harness(Engine, example_site), Recorder()
    rec.keep(h.event("EXPH-03", EventType.SOS))
    restarted(h, rec)
    d = h.event("EXPH-07", EventType.OFF_HOOK)
    assert of_kind(d, ActionKind.PRESET) == [] and of_kind(d, ActionKind.POPUP) == []
