"""The one normaliser: location and priority from the site, whatever the source."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callpoint.config import Site
from callpoint.ingress.contract import RawEvent
from callpoint.ingress.normalise import Normaliser, UnknownReferenceError
from callpoint.model import EventType, Priority, Source

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
DEVICE_TIME = datetime(2026, 12, 4, 8, 59, 58, tzinfo=UTC)


@pytest.mark.parametrize("source", list(Source))
def test_every_source_gets_the_site_s_location_and_priority(
    example_site: Site, source: Source
) -> None:
    raw = RawEvent("EXPH-03", "sos", source, DEVICE_TIME, {"k": "v"})
    event = Normaliser(example_site).normalise(raw, NOW)
    assert (event.location, event.priority, event.type) == (
        "TANKFARM-EAST-POST-03",
        Priority.EMERGENCY,
        EventType.SOS,
    )
    assert (event.source, event.device_time, event.received_at) == (source, DEVICE_TIME, NOW)
    assert dict(event.attributes) == {"k": "v"}


def test_a_camera_is_at_the_first_location_that_lists_it(example_site: Site) -> None:
    norm = Normaliser(example_site)
    shared = norm.normalise(RawEvent("TANKFARM-EAST-PTZ-01", "motion", Source.ONVIF), NOW)
    assert shared.location == "TANKFARM-EAST-POST-03"  # also listed by POST-07, later
    gate = norm.normalise(RawEvent("MAIN-GATE-PTZ-03", EventType.TAMPER, Source.ONVIF), NOW)
    assert gate.location == "MAIN-GATE"
    assert gate.device_time == NOW  # no stamp from the device: the time it arrived


def test_a_type_no_rule_names_is_routine_and_ids_are_kept_or_made(example_site: Site) -> None:
    norm = Normaliser(example_site)
    kept = norm.normalise(RawEvent("EXPH-03", "test", Source.DRILL, event_id="EXPH-03:7"), NOW)
    assert (kept.id, kept.priority) == ("EXPH-03:7", Priority.ROUTINE)
    made = norm.normalise(RawEvent("EXPH-03", "test", Source.DRILL), NOW)
    assert len(made.id) == 32 and made.id != kept.id


def test_a_reported_location_is_kept_only_when_it_differs(example_site: Site) -> None:
    norm = Normaliser(example_site)
    same = RawEvent("EXPH-03", "sos", Source.WEBHOOK, reported_location="TANKFARM-EAST-POST-03")
    assert "reported_location" not in norm.normalise(same, NOW).attributes
    other = RawEvent("EXPH-03", "sos", Source.WEBHOOK, reported_location="ELSEWHERE")
    event = norm.normalise(other, NOW)
    assert (event.location, event.attributes["reported_location"]) == (
        "TANKFARM-EAST-POST-03",
        "ELSEWHERE",
    )


def test_unknown_devices_and_types_are_refused_by_name(example_site: Site) -> None:
    norm = Normaliser(example_site)
    with pytest.raises(UnknownReferenceError, match="unknown device 'NOPE'"):
        norm.normalise(RawEvent("NOPE", "sos", Source.SIP), NOW)
    with pytest.raises(UnknownReferenceError, match="unknown event type 'fire'"):
        norm.normalise(RawEvent("EXPH-03", "fire", Source.SIP), NOW)
