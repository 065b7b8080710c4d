"""Whether the store can take a write now: down for good (its file went away) or a commit
stalled past a bound (a frozen or hung disk). Read by `/healthz` through the runtime;
watched from the checkpointer's thread so that it is logged without anyone asking."""

from __future__ import annotations

import logging
from typing import Final

from callpoint.store.guard import FileGuard
from callpoint.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)

# A commit in flight longer than this (s) makes the store unhealthy. A batch commits in
# milliseconds; SQLite's own lock wait (sqlite.BUSY_TIMEOUT_MS) is as long, so a commit
# past it is held by the disk, not by a reader.
COMMIT_STALL_S: Final = 5.0


class StoreHealth:
    """One store's writer and file guard, judged together."""

    def __init__(
        self, writer: GroupCommitWriter, guard: FileGuard, stall_after_s: float | None = None
    ) -> None:
        self._writer = writer
        self._guard = guard
        self.stall_after_s = COMMIT_STALL_S if stall_after_s is None else stall_after_s
        self._stall_logged = False

    def problem(self) -> str | None:
        """None if the store takes writes; otherwise why not, for an operator."""
        writer = self._writer
        if writer.down is not None:
            return writer.down
        age = writer.in_flight_s()
        if age is not None and age > self.stall_after_s:
            return f"a commit has been in flight for {age:.1f} s (bound {self.stall_after_s} s)"
        return None

    def watch(self) -> None:
        """Periodic: notice a deleted or replaced file while idle; log a stall once."""
        writer = self._writer
        if writer.down is None and (why := self._guard.changed()) is not None:
            writer.fail(why)
        stalled = self.problem() if writer.down is None else None
        if stalled is not None and not self._stall_logged:
            self._stall_logged = True
            log.error("store stalled: %s", stalled)
        elif stalled is None and self._stall_logged:
            self._stall_logged = False
            log.warning("store: the stalled commit has ended")
