"""Duplicate suppression by wsa:MessageID, bounded (SOAP-over-UDP repeats every message)."""

from __future__ import annotations

from collections import OrderedDict

# Repeats arrive within a second; 512 remembered IDs cover far more than that window even
# on a busy segment, in a few tens of kilobytes.
DUPLICATE_FILTER_SIZE = 512


class MessageIdFilter:
    """Remembers the last `capacity` message IDs."""

    def __init__(self, capacity: int = DUPLICATE_FILTER_SIZE) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def is_duplicate(self, message_id: str) -> bool:
        """True if seen before; otherwise remember it and return False."""
        if message_id in self._seen:
            self._seen.move_to_end(message_id)
            return True
        self._seen[message_id] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._seen)
