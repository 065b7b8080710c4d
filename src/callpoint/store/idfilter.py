"""Which event ids are surely new, without asking the database.

Every keyed webhook (one with an `id` or a `webhook-id`) must be checked against the
stored events before the engine sees it, so that a re-delivery is answered "duplicate"
instead of being decided twice. Asking SQLite costs a thread hop and a read per request;
almost every id is new. A Bloom filter of the stored ids answers "surely new" in a few
microseconds on the event loop and sends only the rest ("maybe seen": the re-deliveries
and about one new id in a hundred) to the database.

The filter lives in memory only; it is rebuilt from the events table at start and, with
room to spare, whenever it fills up.
"""

from __future__ import annotations

import logging
import math
from typing import Final

log = logging.getLogger(__name__)

BITS_PER_ID: Final = 10
"""With 7 probes: about 0.8 % of new ids look seen when the filter is full."""
PROBES: Final = 7
MIN_CAPACITY: Final = 1_000_000
"""Ids a new filter is sized for at least (1.2 MiB)."""
_MASK64: Final = (1 << 64) - 1


class IdFilter:
    """A Bloom filter over strings: `in` is False only for ids never added."""

    __slots__ = ("_bits", "_m", "capacity", "count")

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._m = self.capacity * BITS_PER_ID
        self._bits = bytearray((self._m + 7) // 8)
        self.count = 0

    def add(self, key: str) -> None:
        # str hashes are salted per process and cached on the string: fine for a filter
        # that never leaves this process, and cheaper than any digest. Probes by double
        # hashing (Kirsch and Mitzenmacher) on the hash's two halves.
        h = hash(key) & _MASK64
        h1, h2, m, bits = h & 0xFFFFFFFF, (h >> 32) | 1, self._m, self._bits
        for i in range(PROBES):
            p = (h1 + i * h2) % m
            bits[p >> 3] |= 1 << (p & 7)
        self.count += 1

    def __contains__(self, key: str) -> bool:
        h = hash(key) & _MASK64
        h1, h2, m, bits = h & 0xFFFFFFFF, (h >> 32) | 1, self._m, self._bits
        for i in range(PROBES):
            p = (h1 + i * h2) % m
            if not bits[p >> 3] & (1 << (p & 7)):
                return False  # most new ids stop at the first or second probe
        return True

    @property
    def full(self) -> bool:
        return self.count > self.capacity

    @property
    def size_bytes(self) -> int:
        return len(self._bits)

    def expected_false_positive_rate(self) -> float:
        """The textbook estimate for the ids added so far."""
        return float((1 - math.exp(-PROBES * self.count / self._m)) ** PROBES)


class SeenEvents:
    """The ids of stored events, as far as a filter can tell; safe to use while loading.

    Until the first load finishes nothing is "surely new" (every check goes to the
    database). Ids stored while a (re)load runs are kept aside and added to the new filter
    when it is installed, so no stored id is ever missing from the filter in use.
    """

    __slots__ = ("_aside", "_filter", "_loading")

    def __init__(self) -> None:
        self._filter: IdFilter | None = None
        self._aside: list[str] = []
        self._loading = False

    @property
    def ready(self) -> bool:
        return self._filter is not None

    @property
    def reloading(self) -> bool:
        """A (re)load from the table is under way; the filter in use (if any) still serves."""
        return self._loading

    def surely_new(self, event_id: str) -> bool:
        f = self._filter
        return f is not None and event_id not in f

    def add(self, event_id: str) -> None:
        """Record a committed event id (call on the event loop, after the commit)."""
        if self._filter is not None:
            self._filter.add(event_id)
        if self._loading:
            self._aside.append(event_id)

    def needs_load(self) -> bool:
        """True if no filter is in use, or the one in use is over its capacity."""
        return not self._loading and (self._filter is None or self._filter.full)

    def loading(self) -> None:
        """A (re)load starts: ids committed from now on are also kept aside."""
        self._loading = True
        self._aside = []

    def installed(self, loaded: IdFilter) -> None:
        """Use `loaded` (built from the table after `loading`), plus the ids set aside."""
        for event_id in self._aside:
            loaded.add(event_id)
        self._aside = []
        self._loading = False
        self._filter = loaded
        log.info(
            "store: %d event ids in a %d KiB filter (about %.2f %% of new ids checked twice)",
            loaded.count,
            loaded.size_bytes // 1024,
            100 * loaded.expected_false_positive_rate(),
        )

    def load_failed(self) -> None:
        """The load did not finish: keep the filter in use (or none), try again later."""
        self._aside = []
        self._loading = False


def capacity_for(stored: int) -> int:
    """Room for twice the stored ids, at least MIN_CAPACITY."""
    return max(MIN_CAPACITY, 2 * stored)
