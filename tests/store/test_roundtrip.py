"""Every model type goes into SQLite and comes back equal."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callpoint.action_payloads import HomePayload
from callpoint.model import (
    Action,
    ActionState,
    AuditRecord,
    Event,
    EventType,
    Incident,
    IncidentState,
    Source,
    TimelineEntry,
)
from callpoint.store.base import EventQuery, Write
from callpoint.store.sqlite import SqliteStore
from tests import factories as f
from tests.store.test_payloads import PAYLOADS

ZONES: st.SearchStrategy[tzinfo | None] = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)), None]
)
TIMES = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9998, 12, 30),
    # hypothesis's stub types `timezones` too narrowly for a mix of zones and None.
    timezones=ZONES,  # type: ignore[arg-type]
).filter(lambda d: d.tzinfo is not None)
VALUES = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
)
EVENTS = st.builds(
    Event,
    id=st.text(min_size=1, max_size=40),
    device_id=st.text(max_size=20),
    location=st.text(max_size=40),
    type=st.sampled_from(EventType),
    device_time=TIMES,
    received_at=TIMES,
    source=st.sampled_from(Source),
    priority=st.integers(0, 100),
    attributes=st.dictionaries(st.text(max_size=10), VALUES, max_size=5),
    suppressed=st.booleans(),
)


def test_events_round_trip_exactly(tmp_path: Path) -> None:
    # One store for all examples (opening one per example is most of the cost); ids get
    # a per-example prefix so that examples never collide.
    with asyncio.Runner() as runner:
        store = SqliteStore(tmp_path / "db")
        runner.run(store.open())
        examples = itertools.count()

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(EVENTS, max_size=12, unique_by=lambda e: e.id))
        def check(events: list[Event]) -> None:
            k = next(examples)
            events = [replace(e, id=f"{k}:{e.id}") for e in events]

            async def run() -> list[Event]:
                newest = await store.events_with_seq(EventQuery(limit=1))
                after = newest[0][0] if newest else 0
                await asyncio.gather(*(store.write(Write(event=e)) for e in events))
                return [e for _, e in await store.events_after(after, limit=1000)]

            stored = runner.run(run())
            assert sorted(stored, key=lambda e: e.id) == sorted(events, key=lambda e: e.id)
            for e in stored:
                assert e.device_time.tzinfo is UTC  # stored as UTC, equal as an instant

        check()
        runner.run(store.close())


TEXT = st.text(max_size=30)
INCIDENTS = st.builds(
    Incident,
    id=st.text(min_size=1, max_size=40),
    location=TEXT,
    device_id=TEXT,
    trigger=st.sampled_from(EventType),
    priority=st.integers(0, 100),
    state=st.sampled_from(IncidentState),
    opened_at=TIMES,
    updated_at=TIMES,
    consoles=st.lists(TEXT, max_size=3).map(tuple),
    escalation_level=st.integers(0, 5),
    live=st.booleans(),
    acknowledged_by=st.none() | TEXT,
    acknowledged_at=st.none() | TIMES,
    cleared_at=st.none() | TIMES,
    timeline=st.lists(
        st.builds(
            TimelineEntry,
            at=TIMES,
            kind=TEXT,
            text=TEXT,
            event_id=st.none() | TEXT,
            actor=st.none() | TEXT,
        ),
        max_size=4,
    ).map(tuple),
)
ACTIONS = st.builds(
    Action,
    id=st.text(min_size=1, max_size=40),
    payload=PAYLOADS,
    target=TEXT,
    event_id=TEXT,
    incident_id=st.none() | TEXT,
    priority=st.integers(0, 100),
    created_at=TIMES,
    due_at=st.none() | TIMES,
    state=st.sampled_from(ActionState),
    attempts=st.integers(0, 10),
    last_error=st.none() | TEXT,
    finished_at=st.none() | TIMES,
)


def test_incidents_and_actions_round_trip_exactly(tmp_path: Path) -> None:
    with asyncio.Runner() as runner:
        store = SqliteStore(tmp_path / "db")
        runner.run(store.open())
        examples = itertools.count()

        @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(INCIDENTS, st.lists(ACTIONS, max_size=4, unique_by=lambda a: a.id))
        def check(incident: Incident, actions: list[Action]) -> None:
            k = next(examples)
            incident = replace(incident, id=f"{k}:{incident.id}")
            actions = [replace(a, id=f"{k}:{a.id}", incident_id=incident.id) for a in actions]
            runner.run(store.write(Write(incidents=[incident], actions=actions)))
            assert runner.run(store.incident(incident.id)) == incident
            assert runner.run(store.actions_for_incident(incident.id)) == actions

        check()
        runner.run(store.close())


@pytest.mark.asyncio
async def test_incident_round_trip_and_upsert(store: SqliteStore) -> None:
    inc = f.incident()
    await store.write(Write(incidents=[inc]))
    assert await store.incident(inc.id) == inc
    acked = f.incident(
        id=inc.id,
        state=IncidentState.ACKNOWLEDGED,
        acknowledged_by="op1",
        acknowledged_at=f.T0 + timedelta(seconds=5),
        cleared_at=None,
        timeline=(*inc.timeline, f.incident().timeline[0]),
        live=True,
    )
    await store.write(Write(incidents=[acked]))
    assert await store.incident(inc.id) == acked
    assert await store.incidents() == [acked]
    assert await store.incident("nope") is None


@pytest.mark.asyncio
async def test_incidents_newest_first_and_active_only(store: SqliteStore) -> None:
    old = f.incident(opened_at=f.T0, state=IncidentState.CLEARED, cleared_at=f.T0)
    new = f.incident(opened_at=f.T0 + timedelta(minutes=1))
    await store.write(Write(incidents=[old, new]))
    assert [i.id for i in await store.incidents()] == [new.id, old.id]
    assert [i.id for i in await store.incidents(active_only=True)] == [new.id]
    assert [i.id for i in await store.incidents(limit=1)] == [new.id]


@pytest.mark.asyncio
async def test_write_links_event_incident_and_actions(store: SqliteStore) -> None:
    inc = f.incident()
    ev = f.event(type=EventType.SOS, priority=90)
    acts = [
        f.action(event_id=ev.id, incident_id=inc.id),
        f.action(
            event_id=ev.id,
            incident_id=inc.id,
            payload=HomePayload(),
            due_at=f.T0 + timedelta(seconds=60),
        ),
    ]
    await store.write(Write(event=ev, incident_id=inc.id, incidents=[inc], actions=acts))
    assert await store.events_for_incident(inc.id) == [ev]
    assert await store.actions_for_incident(inc.id) == acts
    assert await store.actions() == list(reversed(acts))
    assert await store.actions(states=frozenset({ActionState.DONE})) == []
    assert await store.event_exists(ev.id)
    assert not await store.event_exists("other")


@pytest.mark.asyncio
async def test_audit_round_trip_newest_first(store: SqliteStore) -> None:
    recs = [
        AuditRecord(id=str(i), at=f.T0, actor="op1", action="ack", subject="inc1", detail={"n": i})
        for i in range(3)
    ]
    for r in recs:
        await store.write(Write(audit=[r]))
    assert await store.audit() == list(reversed(recs))
    assert await store.audit(limit=1) == [recs[-1]]


@pytest.mark.asyncio
async def test_naive_datetime_is_refused_before_queueing(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        await store.write(Write(event=f.event(received_at=datetime(2026, 1, 1))))
    assert await store.events(EventQuery()) == []
