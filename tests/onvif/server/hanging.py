"""A TCP server that accepts connections and never answers: the worst Notify consumer."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType


class HangingServer:
    """`async with HangingServer() as port:`; every accepted socket is closed on exit."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._release = asyncio.Event()

    async def _hang(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        await self._release.wait()

    async def __aenter__(self) -> int:
        self._server = await asyncio.start_server(self._hang, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def __aexit__(
        self,
        _exc_type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        self._release.set()
        for writer in self._writers:
            writer.close()
        for writer in self._writers:
            # The device may have given up on the connection already.
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
        await self._server.wait_closed()
