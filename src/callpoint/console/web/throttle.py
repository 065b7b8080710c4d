"""Login throttling: after a few wrong passwords a name (from one address) waits a while."""

from __future__ import annotations

import time
from collections import OrderedDict

MAX_FAILURES = 5  # wrong passwords in a row before the pause
LOCKOUT_S = 60.0  # the pause; long enough to make guessing slow, short for a real operator
MAX_TRACKED = 10_000  # (name, address) pairs remembered; the oldest are forgotten first


class LoginThrottle:
    """Counts failed logins per (name, address), bounded in memory."""

    def __init__(self) -> None:
        self._failures: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()

    def locked_for(self, name: str, address: str) -> float:
        """Seconds this pair must still wait (0 when it may try)."""
        count, last = self._failures.get((name, address), (0, 0.0))
        if count < MAX_FAILURES:
            return 0.0
        return max(0.0, last + LOCKOUT_S - time.monotonic())

    def failed(self, name: str, address: str) -> None:
        key = (name, address)
        count, last = self._failures.pop(key, (0, 0.0))
        if count >= MAX_FAILURES and time.monotonic() - last > LOCKOUT_S:
            count = 0  # the pause is over: start counting again
        self._failures[key] = (count + 1, time.monotonic())
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)

    def succeeded(self, name: str, address: str) -> None:
        self._failures.pop((name, address), None)
