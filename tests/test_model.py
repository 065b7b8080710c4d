from datetime import UTC, datetime

import pytest

from callpoint.model import ACTIVE_INCIDENT_STATES, Event, EventType, IncidentState, Source


def test_event_is_immutable() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ev = Event("e1", "EXPH-03", "TANKFARM-EAST-POST-03", EventType.SOS, now, now, Source.WEBHOOK)
    with pytest.raises(AttributeError):
        ev.type = EventType.OFF_HOOK  # type: ignore[misc]  # proving frozen-ness


def test_cleared_and_archived_are_not_active() -> None:
    assert IncidentState.CLEARED not in ACTIVE_INCIDENT_STATES
    assert IncidentState.ARCHIVED not in ACTIVE_INCIDENT_STATES
    assert IncidentState.RAISED in ACTIVE_INCIDENT_STATES
