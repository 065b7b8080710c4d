"""Refused requests are logged with why; a flood is logged once per window, then counted."""

from __future__ import annotations

import logging
import time
from collections import Counter

LOG_EVERY_S = 60.0  # at most one log line per reason per minute during a flood
MAX_REASONS = 256  # reasons are a small closed set; cap in case one carries peer text


class RefusalLog:
    """Counts refusals by reason and logs the first of each burst."""

    def __init__(self, logger: logging.Logger) -> None:
        self._log = logger
        self.counts: Counter[str] = Counter()
        self._last_logged: dict[str, float] = {}
        self._suppressed: Counter[str] = Counter()

    def refuse(self, status: int, reason: str, peer: str, detail: str) -> None:
        """Record one refusal; `reason` is a short key, `detail` the full explanation."""
        key = f"{status} {reason}"
        if key not in self.counts and len(self.counts) >= MAX_REASONS:
            key = f"{status} other"
        self.counts[key] += 1
        now = time.monotonic()
        last = self._last_logged.get(key)
        if last is not None and now - last < LOG_EVERY_S:
            self._suppressed[key] += 1
            return
        self._last_logged[key] = now
        skipped = self._suppressed.pop(key, 0)
        more = f" ({skipped} more like it since the last report)" if skipped else ""
        self._log.warning("refused webhook from %s: %s %s%s", peer, status, detail, more)
