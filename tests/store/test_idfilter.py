"""The event-id filter: never says "new" for a stored id, rarely says "seen" for a new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from callpoint.store import idfilter
from callpoint.store.base import Write
from callpoint.store.idfilter import IdFilter, SeenEvents
from callpoint.store.sqlite import SqliteStore
from tests import factories as f


def test_every_added_id_is_reported_seen() -> None:
    ids = [f"PH-{n % 97}:wh:msg_{n}" for n in range(20_000)]
    bloom = IdFilter(capacity=20_000)
    for i in ids:
        bloom.add(i)
    assert all(i in bloom for i in ids)
    assert bloom.count == 20_000
    assert not bloom.full


def test_new_ids_are_rarely_taken_for_seen_at_capacity() -> None:
    bloom = IdFilter(capacity=20_000)
    for n in range(20_000):
        bloom.add(f"seen-{n}")
    false_hits = sum(f"new-{n}" in bloom for n in range(20_000))
    # The design rate is under 1 %; 2 % leaves room for chance, 10 % would mean a bug.
    assert false_hits < 400
    assert bloom.expected_false_positive_rate() < 0.01


def test_nothing_is_surely_new_until_the_first_load() -> None:
    seen = SeenEvents()
    assert not seen.ready
    assert not seen.surely_new("anything")
    assert seen.needs_load()


def test_ids_stored_during_a_load_are_in_the_installed_filter() -> None:
    seen = SeenEvents()
    seen.loading()
    assert not seen.needs_load()  # one load at a time
    seen.add("committed-while-loading")
    loaded = IdFilter(capacity=100)
    loaded.add("from-the-table")
    seen.installed(loaded)
    assert not seen.surely_new("committed-while-loading")
    assert not seen.surely_new("from-the-table")
    assert seen.surely_new("never-stored")


def test_a_full_filter_asks_for_a_bigger_one() -> None:
    seen = SeenEvents()
    seen.loading()
    seen.installed(IdFilter(capacity=2))
    for n in range(3):
        seen.add(f"e{n}")
    assert seen.needs_load()


async def _filter_ready(store: SqliteStore) -> None:
    """Until a filter is in use, no reload is under way and none is needed."""
    seen = store.seen_events
    for _ in range(500):
        if seen.ready and not seen.reloading and not seen.needs_load():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("event-id filter never became ready")


@pytest.mark.asyncio
async def test_store_filter_knows_events_stored_before_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "db"
    first = SqliteStore(path)
    await first.open()
    old = [f.event(n) for n in range(30)]
    await asyncio.gather(*(first.write(Write(event=e)) for e in old))
    await first.close()

    store = SqliteStore(path)
    await store.open()
    await _filter_ready(store)
    assert all([await store.event_exists(e.id) for e in old])
    new = f.event(99)
    assert store.seen_events.surely_new(new.id)
    assert not await store.event_exists(new.id)
    await store.write(Write(event=new))
    assert not store.seen_events.surely_new(new.id)
    assert await store.event_exists(new.id)
    await store.close()


@pytest.mark.asyncio
async def test_store_rebuilds_a_full_filter_and_loses_no_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idfilter, "MIN_CAPACITY", 8)
    store = SqliteStore(tmp_path / "db")
    await store.open()
    await _filter_ready(store)
    events = [f.event(n) for n in range(40)]
    for e in events:  # one by one: each write may start a rebuild while others commit
        await store.write(Write(event=e))
    await _filter_ready(store)
    assert store.seen_events._filter is not None
    assert store.seen_events._filter.capacity >= 40  # rebuilt bigger than the first 8
    assert not any(store.seen_events.surely_new(e.id) for e in events)
    await store.close()
