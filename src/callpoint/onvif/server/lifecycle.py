"""Subscription lifecycle as a transition table (WS-BaseNotification 1.3, ONVIF Core event service).

    ACTIVE --renew--> ACTIVE
    ACTIVE --expire--> EXPIRED          (termination time passed without renewal)
    ACTIVE --unsubscribe--> UNSUBSCRIBED

EXPIRED and UNSUBSCRIBED are final: any trigger there is illegal and raises.
"""

from __future__ import annotations

from enum import StrEnum

from callpoint.onvif.server.device_errors import IllegalTransitionError


class SubscriptionState(StrEnum):
    """Where a subscription is in its life."""

    ACTIVE = "active"
    EXPIRED = "expired"
    UNSUBSCRIBED = "unsubscribed"


class SubscriptionTrigger(StrEnum):
    """What may happen to a subscription."""

    RENEW = "renew"
    EXPIRE = "expire"
    UNSUBSCRIBE = "unsubscribe"


TRANSITIONS: dict[tuple[SubscriptionState, SubscriptionTrigger], SubscriptionState] = {
    (SubscriptionState.ACTIVE, SubscriptionTrigger.RENEW): SubscriptionState.ACTIVE,
    (SubscriptionState.ACTIVE, SubscriptionTrigger.EXPIRE): SubscriptionState.EXPIRED,
    (SubscriptionState.ACTIVE, SubscriptionTrigger.UNSUBSCRIBE): SubscriptionState.UNSUBSCRIBED,
}


def next_state(state: SubscriptionState, trigger: SubscriptionTrigger) -> SubscriptionState:
    """The state after `trigger`, or IllegalTransitionError if the table has no such edge."""
    try:
        return TRANSITIONS[(state, trigger)]
    except KeyError:
        raise IllegalTransitionError(f"{trigger} in state {state}") from None
