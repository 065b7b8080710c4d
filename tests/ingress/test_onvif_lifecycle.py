"""The PullPoint lifecycle table: legal paths, the explicit error state, illegal edges."""

from __future__ import annotations

import pytest

from callpoint.ingress.onvif_lifecycle import (
    BACKOFF_MAX_S,
    HEALTHY,
    TRANSITIONS,
    IllegalTransitionError,
    SubscriptionState,
    Trigger,
    backoff_s,
    next_state,
)

S, T = SubscriptionState, Trigger


def walk(*triggers: Trigger, start: SubscriptionState = S.IDLE) -> SubscriptionState:
    state = start
    for trigger in triggers:
        state = next_state(state, trigger)
    return state


def test_pullpoint_path_with_renewals_stays_healthy() -> None:
    state = walk(T.START, T.CONNECTED, T.PULLPOINT_CREATED)
    assert state is S.PULLING
    for _ in range(3):
        state = next_state(state, T.RENEW_DUE)
        assert state is S.PULL_RENEWING and state in HEALTHY
        state = next_state(state, T.RENEWED)
    assert state is S.PULLING


def test_notify_path_renews_in_its_own_states() -> None:
    state = walk(T.START, T.CONNECTED, T.NOTIFY_SUBSCRIBED, T.RENEW_DUE)
    assert state is S.NOTIFY_RENEWING
    assert next_state(state, T.RENEWED) is S.LISTENING


@pytest.mark.parametrize("failing", [S.CONNECTING, S.SUBSCRIBING, *HEALTHY])
def test_every_working_state_fails_into_error_then_backs_off_and_retries(
    failing: SubscriptionState,
) -> None:
    assert next_state(failing, T.FAILED) is S.ERROR
    assert walk(T.BACKOFF, T.RETRY_DUE, start=S.ERROR) is S.CONNECTING


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (S.IDLE, T.RENEW_DUE),
        (S.PULLING, T.RENEWED),
        (S.ERROR, T.RETRY_DUE),  # the error is recorded and a backoff chosen first
        (S.BACKOFF, T.FAILED),
        (S.LISTENING, T.PULLPOINT_CREATED),
        (S.STOPPED, T.START),
        (S.STOPPED, T.STOP),
    ],
)
def test_illegal_transitions_raise(state: SubscriptionState, trigger: Trigger) -> None:
    with pytest.raises(IllegalTransitionError, match=str(trigger)):
        next_state(state, trigger)


def test_stop_is_final_and_reachable_from_every_other_state() -> None:
    for state in S:
        if state is not S.STOPPED:
            assert next_state(state, T.STOP) is S.STOPPED
    assert not [k for k in TRANSITIONS if k[0] is S.STOPPED]


def test_backoff_doubles_is_capped_and_jitter_only_shortens() -> None:
    assert [backoff_s(n, 0.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_s(40, 0.0) == BACKOFF_MAX_S
    assert backoff_s(3, 0.999) == pytest.approx(2.002, abs=0.01)
