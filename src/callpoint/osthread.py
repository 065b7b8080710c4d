"""Give a thread its name at the OS level too, so `top -H` and /proc show who is busy."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

_PR_SET_NAME = 15
_libc: ctypes.CDLL | None = None
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
except OSError:  # not Linux or no libc: names stay Python-only
    _libc = None


def name_os_thread(name: str | None = None) -> None:
    """Set the calling thread's OS name (Linux keeps 15 bytes) to `name` or its Python
    name; does nothing where prctl is not available."""
    if _libc is None:
        return
    text = (name or threading.current_thread().name).encode()[:15]
    try:
        _libc.prctl(_PR_SET_NAME, ctypes.c_char_p(text), 0, 0, 0)
    except (AttributeError, OSError):
        return
