"""Event log queries, paging by seq, and idempotent re-delivery."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from callpoint.model import EventType
from callpoint.store import DuplicateEventError
from callpoint.store.base import EventQuery, StoreError, Write
from callpoint.store.sqlite import SqliteStore
from tests import factories as f

pytestmark = pytest.mark.asyncio


async def _fill(store: SqliteStore) -> list[str]:
    ids = []
    for n in range(10):
        ev = f.event(
            n,
            device_id=f"PH-{n % 2}",
            location="EAST" if n < 5 else "WEST",
            type=EventType.SOS if n % 3 == 0 else EventType.OFF_HOOK,
            attributes={"note": f"Gate {n}"},
        )
        await store.write(Write(event=ev))
        ids.append(ev.id)
    return ids


async def test_event_filters_combine_with_and(store: SqliteStore) -> None:
    ids = await _fill(store)
    got = await store.events(EventQuery(device_id="PH-0"))
    assert [e.id for e in got] == [ids[n] for n in (8, 6, 4, 2, 0)]
    got = await store.events(EventQuery(device_id="PH-0", location="WEST"))
    assert [e.id for e in got] == [ids[8], ids[6]]
    got = await store.events(EventQuery(types=frozenset({EventType.SOS})))
    assert [e.id for e in got] == [ids[9], ids[6], ids[3], ids[0]]
    since, until = f.T0 + timedelta(seconds=2), f.T0 + timedelta(seconds=4)
    got = await store.events(EventQuery(since=since, until=until))
    assert [e.id for e in got] == [ids[3], ids[2]]
    got = await store.events(EventQuery(text="gate 7"))
    assert [e.id for e in got] == [ids[7]]
    # Operator text is literal: % and _ are not wildcards.
    assert await store.events(EventQuery(text="%")) == []


async def test_paging_by_seq_walks_every_event_once(store: SqliteStore) -> None:
    ids = await _fill(store)
    seen: list[str] = []
    before = None
    while True:
        page = await store.events_with_seq(EventQuery(limit=3, before_seq=before))
        if not page:
            break
        seen.extend(e.id for _, e in page)
        before = page[-1][0]
    assert seen == list(reversed(ids))
    after = await store.events_after(0, limit=4)
    assert [e.id for _, e in after] == ids[:4]
    assert [e.id for _, e in await store.events_after(after[-1][0])] == ids[4:]


async def test_same_event_id_twice_is_refused_and_nothing_of_it_applied(
    store: SqliteStore,
) -> None:
    ev = f.event()
    await store.write(Write(event=ev))
    again = Write(event=f.event(id=ev.id), actions=[f.action(event_id=ev.id)])
    other = Write(event=f.event(), actions=[f.action()])
    # Both in flight together: they share a batch, and only the duplicate is refused.
    results = await asyncio.gather(store.write(again), store.write(other), return_exceptions=True)
    assert isinstance(results[0], DuplicateEventError)
    assert results[0].event_id == ev.id
    assert results[1] is None
    assert len(await store.events(EventQuery())) == 2
    assert [a.id for a in await store.actions()] == [other.actions[0].id]


async def test_update_of_unknown_action_raises(store: SqliteStore) -> None:
    from callpoint.model import ActionState
    from callpoint.store.base import ActionUpdate

    with pytest.raises(StoreError, match="no action"):
        await store.update_action(ActionUpdate("missing", ActionState.DONE, 1))


async def test_search_finds_non_ascii_attributes(store: SqliteStore) -> None:
    ev = f.event(attributes={"site": "Zürich Tor 3"})
    await store.write(Write(event=ev))
    assert [e.id for e in await store.events(EventQuery(text="zürich"))] == [ev.id]


async def test_lone_surrogates_are_stored_in_attributes_and_refused_in_fields(
    store: SqliteStore,
) -> None:
    ok = f.event(attributes={"raw": "bad\ud800"})
    await store.write(Write(event=ok))
    (back,) = await store.events(EventQuery())
    assert back.attributes == {"raw": "bad\ud800"}
    with pytest.raises(StoreError):
        await store.write(Write(event=f.event(device_id="PH\udc00")))
    assert len(await store.events(EventQuery())) == 1


async def test_updates_of_one_action_in_one_batch_apply_in_order(store: SqliteStore) -> None:
    from callpoint.model import ActionState
    from callpoint.store.base import ActionUpdate

    act = f.action()
    await store.write(Write(actions=[act]))
    retry_at = f.T0 + timedelta(seconds=5)
    done_at = f.T0 + timedelta(seconds=6)
    # Submitted in one loop turn: merged into one statement, yet the later update wins and
    # a missing due time keeps the earlier one (as two separate UPDATEs would).
    await asyncio.gather(
        store.update_action(ActionUpdate(act.id, ActionState.PLANNED, 1, "busy", due_at=retry_at)),
        store.update_action(ActionUpdate(act.id, ActionState.DONE, 2, finished_at=done_at)),
    )
    (stored,) = await store.actions()
    assert (stored.state, stored.attempts, stored.last_error, stored.due_at) == (
        ActionState.DONE,
        2,
        None,
        retry_at,
    )
    assert stored.finished_at == done_at


async def test_writes_of_one_loop_turn_share_one_batch(store: SqliteStore) -> None:
    writer = store._writer
    assert writer is not None
    before = writer.batches
    events = [f.event(n) for n in range(20)]
    await asyncio.gather(*(store.write(Write(event=e, actions=[f.action()])) for e in events))
    assert writer.batches == before + 1
    # 20 rows: one statement of 32 with 12 padding rows, which store nothing. The events
    # are numbered in the order they were written.
    stored = await store.events(EventQuery(limit=100))
    assert [e.id for e in stored] == [e.id for e in reversed(events)]  # newest first
    assert len(await store.actions()) == 20


async def test_two_snapshots_of_one_incident_in_one_batch_leave_the_later(
    store: SqliteStore,
) -> None:
    from dataclasses import replace

    from callpoint.model import IncidentState

    writer = store._writer
    assert writer is not None
    opened = f.incident()
    acked = replace(opened, state=IncidentState.ACKNOWLEDGED, acknowledged_by="op")
    others = [f.incident() for _ in range(4)]
    await asyncio.gather(
        store.write(Write(incidents=[opened, *others[:2]])),
        store.write(Write(incidents=[acked, *others[2:]])),
    )
    assert writer.isolated_batches == 0
    back = {i.id: i for i in await store.incidents(active_only=False)}
    assert len(back) == 5
    assert back[opened.id].state == IncidentState.ACKNOWLEDGED
    assert back[opened.id].acknowledged_by == "op"


async def test_update_actions_gives_each_update_its_own_result(store: SqliteStore) -> None:
    from callpoint.model import ActionState
    from callpoint.store.base import ActionUpdate

    known = [f.action(), f.action()]
    await store.write(Write(actions=known))
    results = await store.update_actions(
        [
            ActionUpdate(known[0].id, ActionState.DONE, 1, finished_at=f.T0),
            ActionUpdate("missing", ActionState.DONE, 1, finished_at=f.T0),
            ActionUpdate(known[1].id, ActionState.FAILED, 1, last_error="no", finished_at=f.T0),
        ]
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], StoreError) and "no action missing" in str(results[1])
    states = {a.id: a.state for a in await store.actions()}
    assert states == {known[0].id: ActionState.DONE, known[1].id: ActionState.FAILED}


async def test_a_batch_of_writes_and_updates_takes_the_merged_path(store: SqliteStore) -> None:
    from callpoint.model import ActionState
    from callpoint.store.base import ActionUpdate

    writer = store._writer
    assert writer is not None
    acts = [f.action() for _ in range(6)]
    await store.write(Write(actions=acts[:3]))
    # New rows and updates of stored ones in one turn: one batch, no row-by-row re-run.
    await asyncio.gather(
        store.write(Write(event=f.event(), actions=acts[3:])),
        store.update_actions(
            [ActionUpdate(a.id, ActionState.DONE, 1, finished_at=f.T0) for a in acts[:3]]
        ),
    )
    assert writer.isolated_batches == 0
    state = {a.id: a.state for a in await store.actions()}
    assert [state[a.id] for a in acts] == [ActionState.DONE] * 3 + [ActionState.PLANNED] * 3
