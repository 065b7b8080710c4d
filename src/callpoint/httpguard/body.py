"""Reading a request body whole, up to a bound, however it is framed or split."""

from __future__ import annotations

from aiohttp import StreamReader


async def read_bounded(content: StreamReader, limit: int) -> bytes:
    """The body's bytes until its end, or its first `limit` bytes if it is longer.

    `StreamReader.read(n)` answers what has arrived so far (one TCP segment, one chunk of
    a chunked body), not the body: a check on that sees half a request (issue 11).
    """
    parts: list[bytes] = []
    left = limit
    while left > 0:
        part = await content.read(left)
        if not part:  # the body's end
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)
