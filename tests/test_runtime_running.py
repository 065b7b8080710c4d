"""The runtime's hand-built copy of an action as running must keep every other field."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from callpoint.model import Action, ActionState
from callpoint.runtime import _running
from tests import factories as f


def test_running_copy_differs_from_the_action_only_in_state() -> None:
    # Every field away from its default, so a field the copy forgot would show.
    a = f.action(
        incident_id="inc-1",
        due_at=f.T0 + timedelta(seconds=3),
        attempts=2,
        last_error="HTTP 503",
        finished_at=f.T0 + timedelta(seconds=4),
    )
    defaults = Action(a.id, a.payload, a.target, a.event_id, None, 0, a.created_at)
    for fld in dataclasses.fields(Action):
        if fld.name not in ("id", "payload", "target", "event_id", "created_at", "state"):
            assert getattr(a, fld.name) != getattr(defaults, fld.name), fld.name
    assert _running(a) == dataclasses.replace(a, state=ActionState.RUNNING)
