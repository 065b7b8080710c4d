"""The event loop the commands run on: uvloop where installed, asyncio's own otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion; uvloop roughly halves the per-request cost of aiohttp."""
    try:
        import uvloop  # optional: absent on platforms it does not support
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
