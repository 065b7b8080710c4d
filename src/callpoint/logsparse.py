"""Logging that stays readable in a flood: the first line per key per window, then counts."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

WINDOW_S = 60.0  # one line per key per minute at most
MAX_KEYS = 1024  # keys are targets or reasons; the oldest are forgotten beyond this


class SparseLog:
    """Logs the first message for a key in each window and says how many it held back."""

    def __init__(self, logger: logging.Logger, level: int) -> None:
        self._log = logger
        self._level = level
        self._last: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def report(self, key: str, msg: str, *args: object) -> bool:
        """Log `msg % args` unless `key` was logged within the window; True if logged."""
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last[0] < WINDOW_S:
            self._last[key] = (last[0], last[1] + 1)
            return False
        held = last[1] if last is not None else 0
        self._last[key] = (now, 0)
        self._last.move_to_end(key)
        while len(self._last) > MAX_KEYS:
            self._last.popitem(last=False)
        suffix = f" [{held} more like it in the last minute]" if held else ""
        self._log.log(self._level, msg + "%s", *args, suffix)
        return True
