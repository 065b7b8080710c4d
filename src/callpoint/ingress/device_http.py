"""The listening port's front: device event posts are served here, the rest by aiohttp.

Every connection starts with `DeviceHttpProtocol`. While it carries plain event posts
(`http_head.read_event_head`) they are read, answered through `WebhookIngress.accept` and
written here, one at a time and in order. At the first request of any other shape the
connection is handed, at that request boundary and with every byte not yet consumed, to
aiohttp's protocol, which keeps it from then on: a browser's first request hands its
connection over at once. aiohttp's request and response objects, middlewares and router
were a third of the event loop's time per device event at 1,800 events/s
(bench/README.md); a phone's post needs none of them.

Time limits: an idle keep-alive connection is closed after KEEPALIVE_S; a request begun
and not finished within REQUEST_S is dropped. Every connection is counted in the port's
`ConnectionBook` (per peer and in total, the longest-idle shed first at a cap), and after
a hand-over aiohttp serves it behind a `GuardedConnection` under the same limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Mapping
from email.utils import formatdate
from typing import Protocol

from aiohttp import web

from callpoint.codecs.http_head import (
    HAND_OVER,
    INCOMPLETE,
    EventHead,
    read_event_head,
    reply_bytes,
)
from callpoint.httpguard import ConnectionBook, GuardedConnection
from callpoint.ingress.listener import GreedyListener, bind_sockets

log = logging.getLogger(__name__)

KEEPALIVE_S = 75.0  # aiohttp's keep-alive timeout
REQUEST_S = 30.0  # from a request's first byte to its last
MAX_PENDING_BYTES = 256 * 1024  # read ahead while a reply is outstanding; then reading pauses
INTERNAL_ERROR = b'{"error":"internal error","detail":"see the server log"}'


class EventAcceptor(Protocol):
    """What answers one event post (`WebhookIngress`)."""

    @property
    def max_body_bytes(self) -> int: ...

    async def accept(
        self, headers: Mapping[str, str], body: bytes, peer: str
    ) -> tuple[int, bytes]: ...


class _DateHeader:
    """The Date value, formatted once per second."""

    __slots__ = ("_second", "_value")

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def now(self) -> bytes:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._value = formatdate(second, usegmt=True).encode("ascii")
        return self._value


class DeviceHttpFront:
    """Connections on the front protocol: creates them, times them out, closes them."""

    def __init__(
        self,
        acceptor: EventAcceptor,
        fallback: Callable[[], asyncio.BaseProtocol],
        book: ConnectionBook | None = None,
    ) -> None:
        self.acceptor = acceptor
        self.fallback = fallback  # aiohttp's protocol factory (the runner's server)
        self.book = book if book is not None else ConnectionBook()  # it also times them
        self.connections: set[DeviceHttpProtocol] = set()
        self.date = _DateHeader()
        self.handed_over = 0  # connections given to aiohttp, for tests and health
        self.served = 0  # event posts answered here
        self.closing = False
        self._all_closed = asyncio.Event()

    def forget(self, conn: DeviceHttpProtocol) -> None:
        """`conn` is closed or handed over."""
        self.connections.discard(conn)
        if self.closing and not self.connections:
            self._all_closed.set()

    def __call__(self) -> DeviceHttpProtocol:
        return DeviceHttpProtocol(self)

    async def close(self, timeout_s: float = 10.0) -> None:
        """Close idle connections now, busy ones after their reply (or at the timeout)."""
        self.closing = True
        for conn in list(self.connections):
            conn.close_when_idle()
        if self.connections:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_closed.wait(), timeout_s)
        for conn in list(self.connections):
            conn.abort()


class DeviceHttpProtocol(asyncio.Protocol):
    """One connection while it carries event posts (see the module docstring)."""

    def __init__(self, front: DeviceHttpFront) -> None:
        self._front = front
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self.peer = "?"
        self._buf = bytearray()
        self._head: EventHead | None = None  # read, waiting for the rest of its body
        self._busy = False  # a reply is outstanding
        self._close_after = False
        self._eof = False
        self._reading_paused = False
        self._writing_paused = False
        self._last = self._loop.time()
        self._request_started: float | None = None

    @property
    def busy(self) -> bool:
        """A request is read and its reply not yet written."""
        return self._busy

    # -- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # a stream server's
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self._front.book.admit(self):
            self._transport = None
            transport.abort()  # type: ignore[attr-defined]  # a stream server's transport
            return
        self._front.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self._last = self._loop.time()
        if self._request_started is None:
            self._request_started = self._last
        self._buf += data
        if self._busy or self._writing_paused:
            if len(self._buf) > MAX_PENDING_BYTES and not self._reading_paused:
                self._reading_paused = True
                if self._transport is not None:
                    self._transport.pause_reading()
            return
        self._next()

    def eof_received(self) -> bool:
        self._eof = True
        head = self._head
        if not self._busy and head is not None and head.content_length is None:
            self._next()  # the sender's close ends an HTTP/1.0 body
        # Keep the connection open while a reply is owed; otherwise let it close.
        return self._busy

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:  # else refused at admission, or handed over
            self._front.book.leave(self)
        self._transport = None
        self._front.forget(self)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if not self._busy:
            self._next()

    # -- requests --------------------------------------------------------------------

    def _next(self) -> None:
        """Start on the next whole request in the buffer, or hand the connection over."""
        if self._transport is None or self._front.closing:
            return
        buf = self._buf
        if not buf:
            self._request_started = None
            if self._eof:
                self._transport.close()
            return
        head = self._head
        if head is None:
            read = read_event_head(buf, self._front.acceptor.max_body_bytes)
            if read is INCOMPLETE:
                return
            if read is HAND_OVER:
                self._hand_over()
                return
            assert isinstance(read, EventHead)
            head = self._head = read
        if head.content_length is None:  # HTTP/1.0: the body ends when the sender closes
            cap = head.body_start + self._front.acceptor.max_body_bytes + 1
            if not self._eof and len(buf) < cap:
                return
            end = min(len(buf), cap)  # one byte past the bound: accept() answers 413
        else:
            end = head.end
            if len(buf) < end:
                return  # the body is still coming
        body = bytes(buf[head.body_start : end])
        del buf[:end]
        self._head = None
        self._busy = True
        self._close_after = head.close
        self._loop.create_task(self._answer(head.headers, body))

    async def _answer(self, headers: dict[str, str], body: bytes) -> None:
        try:
            status, reply = await self._front.acceptor.accept(headers, body, self.peer)
        except Exception:
            log.exception("device event from %s could not be answered", self.peer)
            status, reply = 500, INTERNAL_ERROR
        self._front.served += 1
        self._busy = False
        self._last = self._loop.time()
        self._request_started = self._last if self._buf else None
        transport = self._transport
        if transport is None:
            return  # the peer left; the event stands, the reply has nowhere to go
        close = self._close_after or self._front.closing
        transport.write(reply_bytes(status, reply, self._front.date.now(), close=close))
        if close:
            transport.close()
            return
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()
        if not self._writing_paused:
            self._next()

    def _hand_over(self) -> None:
        """Give the connection, with every unread byte, to the full HTTP server."""
        transport = self._transport
        assert transport is not None
        self._transport = None
        self._front.forget(self)
        self._front.handed_over += 1
        book = self._front.book
        guard = GuardedConnection(book, self._front.fallback(), self._request_started)
        book.replace(self, guard)
        data, self._buf = bytes(self._buf), bytearray()
        transport.set_protocol(guard)
        guard.adopt(transport, self.peer)
        if self._reading_paused:
            transport.resume_reading()
        if data:
            guard.data_received(data)
        if self._eof:
            guard.eof_received()

    # -- time limits, shedding and shutdown (the book asks) ----------------------------

    def idle_since(self) -> float | None:
        if self._busy or self._request_started is not None or self._buf:
            return None
        return self._last

    def shed(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def check_time(self, now: float) -> None:
        """Close the connection if it idled past KEEPALIVE_S or a request is too slow."""
        if self._busy or self._transport is None:
            return
        if self._request_started is not None and now - self._request_started > REQUEST_S:
            self._front.book.timed_out(self.peer, "request unfinished", REQUEST_S)
            self._transport.close()
        elif self._request_started is None and now - self._last > KEEPALIVE_S:
            self._transport.close()

    def close_when_idle(self) -> None:
        if not self._busy and self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._front.book.leave(self)
            self._transport.abort()
            self._transport = None
        self._front.forget(self)


class DeviceFirstSite(web.BaseSite):
    """aiohttp's TCPSite, but connections start on the device front, and a burst of new
    connections is accepted at once (`GreedyListener`)."""

    __slots__ = ("_front", "_host", "_port")

    def __init__(
        self,
        runner: web.BaseRunner,
        acceptor: EventAcceptor,
        host: str,
        port: int,
        *,
        backlog: int = 1024,
        book: ConnectionBook | None = None,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host = host
        self._port = port
        server = runner.server
        assert server is not None  # BaseSite checked that the runner is set up
        self._front = DeviceHttpFront(acceptor, server, book)

    @property
    def front(self) -> DeviceHttpFront:
        return self._front

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        sockets = bind_sockets(self._host, self._port, self._backlog)
        listener = GreedyListener(
            asyncio.get_running_loop(),
            sockets,
            self._front,
            self._backlog,
            on_exhausted=self._front.book.shed_idle,
        )
        await listener.start_serving()
        self._server = listener

    async def stop(self) -> None:
        await super().stop()  # stops listening
        await self._front.close()
        await self._front.book.close()
