"""Login throttling: a pause after MAX_FAILURES, per (name, address), bounded memory."""

from __future__ import annotations

import pytest

from callpoint.console.web import throttle as mod
from callpoint.console.web.throttle import LOCKOUT_S, MAX_FAILURES, LoginThrottle


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeMonotonic:
    fake = FakeMonotonic()
    monkeypatch.setattr("callpoint.console.web.throttle.time.monotonic", fake)
    return fake


def test_pause_after_failures_then_counting_starts_again(clock: FakeMonotonic) -> None:
    t = LoginThrottle()
    for _ in range(MAX_FAILURES - 1):
        t.failed("alice", "10.0.0.1")
    assert t.locked_for("alice", "10.0.0.1") == 0
    t.failed("alice", "10.0.0.1")
    assert t.locked_for("alice", "10.0.0.1") == pytest.approx(LOCKOUT_S)
    assert t.locked_for("alice", "10.0.0.2") == 0  # another address is not locked out
    assert t.locked_for("bob", "10.0.0.1") == 0
    clock.now += LOCKOUT_S + 1
    assert t.locked_for("alice", "10.0.0.1") == 0
    t.failed("alice", "10.0.0.1")  # one more wrong password after the pause: not locked
    assert t.locked_for("alice", "10.0.0.1") == 0


def test_success_forgets_failures(clock: FakeMonotonic) -> None:
    t = LoginThrottle()
    for _ in range(MAX_FAILURES - 1):
        t.failed("alice", "a")
    t.succeeded("alice", "a")
    t.failed("alice", "a")
    assert t.locked_for("alice", "a") == 0


def test_memory_is_bounded(clock: FakeMonotonic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mod, "MAX_TRACKED", 10)
    t = LoginThrottle()
    for i in range(50):
        t.failed(f"user{i}", "a")
    assert len(t._failures) == 10
