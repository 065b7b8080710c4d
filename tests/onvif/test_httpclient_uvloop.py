"""The SOAP HTTP client under uvloop, the loop `callpoint serve` runs on.

uvloop's transports do not subclass asyncio.Transport; the client once asserted they did
and so failed every connection there.
"""

from __future__ import annotations

import asyncio

from callpoint.onvif.httpclient import HttpClient
from tests.support.peers import UVLOOP, needs

REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: 2\r\n\r\nok"


async def exchange_twice() -> list[tuple[int, bytes]]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            await reader.readexactly(4)  # the 4-byte body below
            writer.write(REPLY)
            await writer.drain()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = HttpClient()
    try:
        got = []
        for _ in range(2):  # the second exchange reuses the kept-alive connection
            resp = await client.post(f"http://127.0.0.1:{port}/onvif/x", {}, b"body", 5.0)
            got.append((resp.status, resp.body))
        return got
    finally:
        await client.close()
        server.close()


@needs(UVLOOP)
def test_posts_and_keeps_alive_under_uvloop() -> None:
    import uvloop

    assert uvloop.run(exchange_twice()) == [(200, b"ok"), (200, b"ok")]
