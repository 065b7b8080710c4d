"""A bounded cache of recently seen nonces, to refuse replayed credentials."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

MAX_NONCES = 10_000
"""Nonces remembered at most. A flood of valid, distinct credentials can evict old entries;
each entry is only worth keeping for the freshness window anyway."""


class NonceCache:
    """Remembers nonces for ``window_s`` seconds, at most ``max_entries`` of them.

    Time is passed in (seconds, any monotonic-ish scale) so tests need no sleeps.
    """

    __slots__ = ("_seen", "max_entries", "window_s")

    def __init__(self, window_s: float, max_entries: int = MAX_NONCES) -> None:
        if window_s <= 0 or max_entries <= 0:
            raise ValueError("window_s and max_entries must be positive")
        self.window_s = window_s
        self.max_entries = max_entries
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_add(self, key: Hashable, now: float) -> bool:
        """Record ``key``; return False if it was already seen within the window."""
        self._expire(now)
        if key in self._seen:
            return False
        self._seen[key] = now
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        # Entries are in insertion order, and insertion times only grow, so stop early.
        while self._seen:
            key, added = next(iter(self._seen.items()))
            if now - added <= self.window_s:
                break
            del self._seen[key]
