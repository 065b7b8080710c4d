"""The running event loop, found without a system call.

`asyncio.get_running_loop()` calls getpid() every time, to notice a forked child; on this
VM that was about 3 % of the event loop's time per device event at 2,000 events/s
(bench/README.md). Here the loop found last is remembered with its thread and reused
while it is still running in that thread. A forked child forgets it.
"""

from __future__ import annotations

import asyncio
import os
from threading import get_ident

_last: tuple[int, asyncio.AbstractEventLoop] | None = None


def running_loop() -> asyncio.AbstractEventLoop:
    """The event loop running in this thread; RuntimeError if none, as asyncio's."""
    global _last  # a one-slot cache, swapped whole (atomic)
    last = _last
    if last is not None and last[0] == get_ident() and last[1].is_running():
        return last[1]
    loop = asyncio.get_running_loop()
    _last = (get_ident(), loop)
    return loop


def _forget() -> None:
    global _last
    _last = None


os.register_at_fork(after_in_child=_forget)
