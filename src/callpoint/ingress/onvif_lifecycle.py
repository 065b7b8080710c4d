"""Life of one device's event subscription, as a transition table (ONVIF Core 9.1, 9.2).

    IDLE --start--> CONNECTING --connected--> SUBSCRIBING
    SUBSCRIBING --pullpoint_created--> PULLING      (CreatePullPointSubscription)
    SUBSCRIBING --notify_subscribed--> LISTENING    (base-notification Subscribe)
    PULLING --renew_due--> PULL_RENEWING --renewed--> PULLING
    LISTENING --renew_due--> NOTIFY_RENEWING --renewed--> LISTENING
    any working state --failed--> ERROR             (fault, timeout, subscription lost)
    ERROR --backoff--> BACKOFF --retry_due--> CONNECTING
    any state --stop--> STOPPED                     (final)

ERROR is explicit: it is where a loss is noticed and reported before the retry is
scheduled. Pure: no I/O, no clock. An illegal transition raises.
"""

from __future__ import annotations

from enum import StrEnum


class IllegalTransitionError(RuntimeError):
    """A trigger arrived in a state whose table has no edge for it (our bug)."""


class SubscriptionState(StrEnum):
    """Where one device's subscription is."""

    IDLE = "idle"
    CONNECTING = "connecting"
    SUBSCRIBING = "subscribing"
    PULLING = "pulling"
    PULL_RENEWING = "pull_renewing"
    LISTENING = "listening"
    NOTIFY_RENEWING = "notify_renewing"
    ERROR = "error"
    BACKOFF = "backoff"
    STOPPED = "stopped"


class Trigger(StrEnum):
    """What can happen to it."""

    START = "start"
    CONNECTED = "connected"
    PULLPOINT_CREATED = "pullpoint_created"
    NOTIFY_SUBSCRIBED = "notify_subscribed"
    RENEW_DUE = "renew_due"
    RENEWED = "renewed"
    FAILED = "failed"
    BACKOFF = "backoff"
    RETRY_DUE = "retry_due"
    STOP = "stop"


S, T = SubscriptionState, Trigger

HEALTHY = frozenset({S.PULLING, S.PULL_RENEWING, S.LISTENING, S.NOTIFY_RENEWING})
"""States in which events flow."""

_WORKING = (S.CONNECTING, S.SUBSCRIBING, *HEALTHY)

TRANSITIONS: dict[tuple[SubscriptionState, Trigger], SubscriptionState] = {
    (S.IDLE, T.START): S.CONNECTING,
    (S.CONNECTING, T.CONNECTED): S.SUBSCRIBING,
    (S.SUBSCRIBING, T.PULLPOINT_CREATED): S.PULLING,
    (S.SUBSCRIBING, T.NOTIFY_SUBSCRIBED): S.LISTENING,
    (S.PULLING, T.RENEW_DUE): S.PULL_RENEWING,
    (S.PULL_RENEWING, T.RENEWED): S.PULLING,
    (S.LISTENING, T.RENEW_DUE): S.NOTIFY_RENEWING,
    (S.NOTIFY_RENEWING, T.RENEWED): S.LISTENING,
    **{(state, T.FAILED): S.ERROR for state in _WORKING},
    (S.ERROR, T.BACKOFF): S.BACKOFF,
    (S.BACKOFF, T.RETRY_DUE): S.CONNECTING,
    **{(state, T.STOP): S.STOPPED for state in S if state is not S.STOPPED},
}


def next_state(state: SubscriptionState, trigger: Trigger) -> SubscriptionState:
    """The state after ``trigger``; IllegalTransitionError if the table has no such edge."""
    try:
        return TRANSITIONS[(state, trigger)]
    except KeyError:
        raise IllegalTransitionError(f"{trigger} in state {state}") from None


BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 300.0
"""Re-creation waits 1, 2, 4 ... s after consecutive failures, capped at five minutes."""


def backoff_s(failures: int, jitter: float) -> float:
    """Seconds before attempt ``failures + 1``; ``jitter`` in [0, 1) shortens by up to half
    so that devices lost together (a switch reboot) do not come back in lockstep."""
    raw = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2.0 ** min(max(failures - 1, 0), 30))
    return raw * (1.0 - 0.5 * jitter)
