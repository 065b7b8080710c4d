"""WAL checkpoints off the commit path.

Left to itself, SQLite checkpoints inside whichever commit crosses the threshold, and that
caller waits for the copy (and, with synchronous=FULL, the fsync of the database file).
Here a thread of its own runs PASSIVE checkpoints, which never block the writer; the
writer's own automatic checkpoint stays as a backstop at a much larger WAL size.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Final

from callpoint.osthread import name_os_thread

log = logging.getLogger(__name__)

# The writer checkpoints by itself only past this many pages: a backstop if this thread
# cannot keep up.
WRITER_AUTOCHECKPOINT_PAGES: Final = 16_000
# How often to look for new commits (s): bounds the WAL to about this much traffic.
CHECK_INTERVAL_S: Final = 0.25


class Checkpointer:
    """Checkpoints from a separate connection every interval in which something was committed."""

    def __init__(self, conn: sqlite3.Connection, watch: Callable[[], None] | None = None) -> None:
        self._conn = conn
        # Called every interval, before the checkpoint (which a frozen disk would block).
        self._watch = watch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="callpoint-store-ckpt", daemon=True)
        self._version = -1
        self.checkpoints = 0
        self.failures = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()

    def _changed(self) -> bool:
        # data_version moves whenever another connection commits: nothing new, no work.
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        changed = version != self._version
        self._version = version
        return changed

    def checkpoint(self) -> None:
        """One PASSIVE checkpoint now."""
        try:
            busy, wal_pages, moved = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            self._failed(f"checkpoint failed: {exc}")
            return
        if self.failures:
            log.warning("store: checkpoints work again after %d failures", self.failures)
            self.failures = 0
        self.checkpoints += 1
        log.debug("store: checkpoint moved %s of %s WAL pages (busy=%s)", moved, wal_pages, busy)

    def _failed(self, why: str) -> None:
        # Four tries a second: say it once per outage, then count.
        self.failures += 1
        if self.failures == 1:
            log.warning("store: %s", why)

    def _run(self) -> None:
        name_os_thread("cp-store-ckpt")
        while not self._stop.wait(CHECK_INTERVAL_S):
            if self._watch is not None:
                self._watch()
            try:
                changed = self._changed()
            except sqlite3.Error as exc:
                self._failed(f"checkpointer cannot read the database: {exc}")
                continue
            if changed:
                self.checkpoint()
