"""Supervised background tasks: logged and restarted on failure, cancelled in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

RESTART_DELAYS_S = (0.1, 0.5, 1.0, 5.0, 15.0)  # backoff between restarts of a crashing task


class TaskGroup:
    """Named long-running tasks. A task that raises is logged and restarted with backoff."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.restarts: dict[str, int] = {}

    def spawn(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        if name in self._tasks:
            raise ValueError(f"task {name} already running in {self.name}")
        self.restarts[name] = 0
        self._tasks[name] = asyncio.create_task(self._supervise(name, factory), name=name)

    async def _supervise(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await factory()
            except asyncio.CancelledError:
                raise
            except Exception:  # the supervisor is the one place that catches everything
                n = self.restarts[name]
                delay = RESTART_DELAYS_S[min(n, len(RESTART_DELAYS_S) - 1)]
                self.restarts[name] = n + 1
                log.exception("%s/%s crashed; restart %d in %.1f s", self.name, name, n + 1, delay)
                await asyncio.sleep(delay)
            else:
                log.info("%s/%s finished", self.name, name)
                return

    async def stop(self) -> None:
        """Cancel every task, newest first, and wait for each to end."""
        for name in reversed(list(self._tasks)):
            task = self._tasks.pop(name)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
