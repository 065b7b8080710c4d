"""A raw asyncio TCP server on 127.0.0.1 for tests that closes everything it opened."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_body(reader: asyncio.StreamReader) -> bytes:
    """The body of the next request on `reader` (the client's requests have Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    return await reader.readexactly(length)


@contextlib.asynccontextmanager
async def raw_server(handler: Handler, **kw: object) -> AsyncIterator[int]:
    """Serve ``handler`` on an ephemeral port; on exit cancel handlers, close connections."""
    tasks: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(run, "127.0.0.1", 0, **kw)  # type: ignore[arg-type]  # ssl= etc.
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for w in writers:
            w.close()
            with contextlib.suppress(Exception):
                await w.wait_closed()
        await server.wait_closed()
