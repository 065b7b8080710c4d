"""The outbox side of the store: claiming due actions, updates, requeue after a crash."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from callpoint.model import ActionKind, ActionState
from callpoint.store.base import ActionUpdate, Write
from callpoint.store.sqlite import SqliteStore
from tests import factories as f

pytestmark = pytest.mark.asyncio

HTTP = frozenset({ActionKind.HTTP})


async def test_claim_takes_due_actions_of_given_kinds_most_urgent_first(
    store: SqliteStore,
) -> None:
    low = f.action(kind=ActionKind.HTTP, priority=10)
    high = f.action(kind=ActionKind.HTTP, priority=90)
    later = f.action(kind=ActionKind.HTTP, due_at=f.T0 + timedelta(seconds=30))
    other_kind = f.action(kind=ActionKind.RECORD)
    await store.write(Write(actions=[low, high, later, other_kind]))
    claimed = await store.claim_due_actions(f.T0, HTTP, 10)
    assert [a.id for a in claimed] == [high.id, low.id]
    assert all(a.state is ActionState.RUNNING for a in claimed)
    assert await store.claim_due_actions(f.T0, HTTP, 10) == []
    got = await store.claim_due_actions(f.T0 + timedelta(seconds=30), HTTP, 10)
    assert [a.id for a in got] == [later.id]
    planned = await store.actions(states=frozenset({ActionState.PLANNED}))
    assert [a.id for a in planned] == [other_kind.id]
    assert await store.claim_due_actions(f.T0, frozenset(), 10) == []


async def test_concurrent_claimers_never_share_an_action(tmp_path: Path) -> None:
    path = tmp_path / "db"
    one, two = SqliteStore(path), SqliteStore(path)
    await one.open()
    await two.open()
    actions = [f.action(kind=ActionKind.HTTP) for _ in range(300)]
    await one.write(Write(actions=actions))
    # Two store instances (two writer connections, as two processes would have), each
    # with several claimers racing.
    claims = await asyncio.gather(
        *(s.claim_due_actions(f.T0, HTTP, 7) for _ in range(30) for s in (one, two))
    )
    ids = [a.id for batch in claims for a in batch]
    assert len(ids) == len(set(ids)) == 300
    await one.close()
    await two.close()


async def test_update_records_outcome_and_retry_due_time(store: SqliteStore) -> None:
    act = f.action(kind=ActionKind.HTTP)
    await store.write(Write(actions=[act]))
    await store.claim_due_actions(f.T0, HTTP, 1)
    retry_at = f.T0 + timedelta(seconds=2)
    await store.update_action(
        ActionUpdate(act.id, ActionState.PLANNED, 1, last_error="HTTP 503", due_at=retry_at)
    )
    (stored,) = await store.actions()
    assert (stored.state, stored.attempts, stored.last_error, stored.due_at) == (
        ActionState.PLANNED,
        1,
        "HTTP 503",
        retry_at,
    )
    assert await store.claim_due_actions(f.T0, HTTP, 1) == []
    assert len(await store.claim_due_actions(retry_at, HTTP, 1)) == 1
    done_at = retry_at + timedelta(milliseconds=5)
    await store.update_action(ActionUpdate(act.id, ActionState.DONE, 2, finished_at=done_at))
    (stored,) = await store.actions()
    assert (stored.state, stored.attempts, stored.finished_at, stored.due_at) == (
        ActionState.DONE,
        2,
        done_at,
        retry_at,
    )


async def test_requeue_running_puts_crashed_attempts_back(store: SqliteStore) -> None:
    acts = [f.action(kind=ActionKind.HTTP) for _ in range(3)]
    await store.write(Write(actions=acts))
    await store.claim_due_actions(f.T0, HTTP, 2)
    assert await store.requeue_running() == 2
    assert await store.requeue_running() == 0
    planned = await store.actions(states=frozenset({ActionState.PLANNED}))
    assert len(planned) == 3
