"""aiohttp's connections, timed and counted: a thin protocol in front of its handler.

aiohttp has no time limit for a request's head or body, and no limit on connections.
`GuardedConnection` sits between the transport and aiohttp's `RequestHandler`, passing
every call through, and tells its `ConnectionBook` whether the connection is idle,
receiving a request (head and body: REQUEST_S from its first byte) or being answered
(no limit: long polls and live streams). `guard_middleware` marks the last two.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from typing import cast

from callpoint.httpguard.book import ConnectionBook

IDLE_S = 75.0  # an idle keep-alive connection is closed after this (aiohttp's keep-alive)
REQUEST_S = 30.0  # from a request's first byte to the end of its body


class Phase(enum.Enum):
    IDLE = "idle"  # between requests
    RECEIVING = "receiving"  # a request's head or body is arriving
    ANSWERING = "answering"  # the body is read; the handler runs


class GuardedConnection(asyncio.Protocol):
    """One connection served by `inner` (aiohttp's protocol), under its book's limits."""

    def __init__(
        self, book: ConnectionBook, inner: asyncio.BaseProtocol, request_started: float | None
    ) -> None:
        self._book = book
        self._inner = inner
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self.peer = "?"
        self.phase = Phase.IDLE if request_started is None else Phase.RECEIVING
        self._since = self._loop.time() if request_started is None else request_started

    # -- what the book asks ------------------------------------------------------------

    def idle_since(self) -> float | None:
        return self._since if self.phase is Phase.IDLE else None

    def check_time(self, now: float) -> None:
        if self._transport is None:
            return
        if self.phase is Phase.RECEIVING and now - self._since > REQUEST_S:
            self._book.timed_out(self.peer, "request unfinished", REQUEST_S)
            self._transport.close()
        elif self.phase is Phase.IDLE and now - self._since > IDLE_S:
            self._transport.close()

    def shed(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    # -- what the middleware tells -----------------------------------------------------

    def request_begun(self) -> None:
        """A request's head is read (its first byte may have come long before)."""
        if self.phase is Phase.IDLE:
            self.phase, self._since = Phase.RECEIVING, self._loop.time()

    def answering(self) -> None:
        self.phase = Phase.ANSWERING

    def answered(self) -> None:
        self.phase, self._since = Phase.IDLE, self._loop.time()

    # -- asyncio.Protocol, passed through ----------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """A connection of our own (not a hand-over): the book must admit it first."""
        # A stream server's transport (uvloop's is not an asyncio.Transport subclass).
        stream = self._transport = cast("asyncio.Transport", transport)
        peer = stream.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self._book.admit(self):
            self._transport = None
            stream.abort()
            return
        self._inner.connection_made(stream)

    def adopt(self, transport: asyncio.Transport, peer: str) -> None:
        """A connection handed over, already counted in the book (`ConnectionBook.replace`)."""
        self._transport = transport
        self.peer = peer
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.phase is Phase.IDLE:
            self.phase, self._since = Phase.RECEIVING, self._loop.time()
        self._inner.data_received(data)  # type: ignore[attr-defined]  # a stream protocol

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()  # type: ignore[attr-defined, no-any-return]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is None:
            return  # refused at admission: aiohttp never saw it
        self._transport = None
        self._book.leave(self)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


def guarded_factory(
    book: ConnectionBook, inner: Callable[[], asyncio.BaseProtocol]
) -> Callable[[], GuardedConnection]:
    """A protocol factory for `loop.create_server`: aiohttp's, behind the guard."""
    return lambda: GuardedConnection(book, inner(), None)
