"""Child process for the kill -9 test: writes events concurrently and prints each id
after its `write` returned (i.e. after the store said it is durable)."""

from __future__ import annotations

import asyncio
import sys

from callpoint.store.base import Write
from callpoint.store.sqlite import SqliteStore
from tests import factories as f


async def main(path: str, synchronous: str) -> None:
    store = SqliteStore(path, synchronous="FULL" if synchronous == "FULL" else "NORMAL")
    await store.open()
    out = sys.stdout

    async def writer(k: int) -> None:
        n = 0
        while True:
            ev = f.event(n, device_id=f"W{k}")
            await store.write(Write(event=ev, actions=[f.action(event_id=ev.id)]))
            out.write(ev.id + "\n")
            out.flush()
            n += 1

    await asyncio.gather(*(writer(k) for k in range(50)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
