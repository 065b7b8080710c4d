"""A small asyncio HTTP/1.1 client with a keep-alive pool, over :mod:`http11`.

Why not aiohttp here: a SOAP call is one POST and one small reply, and aiohttp's general
machinery cost about 0.25 ms per call on this machine, more than everything else in a
call together (bench/README.md). This layer only moves bytes; parsing is in http11.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict, deque
from typing import cast
from urllib.parse import urlsplit

from callpoint.onvif.errors import RemoteProtocolError, TransportError
from callpoint.onvif.http11 import Response, ResponseParser, build_post

IDLE_S = 4.0
"""An idle pooled connection is closed after this many seconds, in seconds; embedded HTTP
servers drop idle connections after 5-15 s, so we let go first."""
MAX_IDLE_PER_HOST = 4
"""Idle connections kept per host:port."""
MAX_IDLE_TOTAL = 1024
"""Idle connections kept across all hosts (bounds file descriptors and memory)."""


class _Conn(asyncio.Protocol):
    __slots__ = ("closed", "idle_since", "parser", "transport", "waiter")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser: ResponseParser | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport implements asyncio.Transport without subclassing it, so
        # no isinstance check here (it failed every connection under `callpoint serve`).
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.parser is None or self.waiter is None or self.waiter.done():
            self.close()  # bytes nobody asked for: the connection is unusable
            return
        try:
            self.parser.feed(data)
        except RemoteProtocolError as exc:
            self.waiter.set_exception(exc)
            self.close()
            return
        if self.parser.response is not None:
            self.waiter.set_result(self.parser.response)

    def eof_received(self) -> bool:
        self._ended()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._ended()

    def _ended(self) -> None:
        self.closed = True
        if self.parser is None or self.waiter is None or self.waiter.done():
            return
        try:
            self.parser.eof()
        except RemoteProtocolError as exc:
            self.waiter.set_exception(exc)
            return
        if self.parser.response is not None:
            self.waiter.set_result(self.parser.response)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _StaleConnectionError(Exception):
    """A reused connection was closed by the peer before any byte of a reply."""


class HttpClient:
    """POST bytes, get a :class:`Response`; keeps connections alive per host:port."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._idle: defaultdict[tuple[str, str, int], deque[_Conn]] = defaultdict(deque)
        self._ssl = ssl_context
        self._idle_count = 0

    async def close(self) -> None:
        """Close every idle connection."""
        for conns in self._idle.values():
            for c in conns:
                c.close()
        self._idle.clear()
        self._idle_count = 0

    def _take(self, key: tuple[str, str, int], now: float) -> _Conn | None:
        conns = self._idle.get(key)
        while conns:
            c = conns.pop()
            self._idle_count -= 1
            if not c.closed and now - c.idle_since < IDLE_S:
                return c
            c.close()
        return None

    def _give_back(self, key: tuple[str, str, int], c: _Conn, now: float) -> None:
        conns = self._idle[key]
        if c.closed or len(conns) >= MAX_IDLE_PER_HOST or self._idle_count >= MAX_IDLE_TOTAL:
            c.close()
            return
        c.idle_since = now
        conns.append(c)
        self._idle_count += 1

    async def post(
        self, url: str, headers: dict[str, str], body: bytes, timeout_s: float
    ) -> Response:
        """POST ``body`` to ``url``; the whole exchange bounded by ``timeout_s``."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"unsupported URL {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, parts.hostname, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]
        data = build_post(target, host, headers, body)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout_s):
                conn = self._take(key, loop.time())
                if conn is not None:
                    try:
                        return await self._exchange(key, conn, data, reused=True)
                    except _StaleConnectionError:
                        pass  # the device had dropped it; the request never arrived
                conn = await self._connect(key)
                return await self._exchange(key, conn, data, reused=False)
        except TimeoutError as exc:
            raise TransportError(f"no answer from {url} within {timeout_s} s") from exc
        except (OSError, _StaleConnectionError) as exc:
            raise TransportError(f"HTTP to {url} failed: {exc}") from exc

    async def _connect(self, key: tuple[str, str, int]) -> _Conn:
        scheme, host, port = key
        ctx: ssl.SSLContext | None = None
        if scheme == "https":
            ctx = self._ssl or ssl.create_default_context()
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Conn, host, port, ssl=ctx)
        return conn

    async def _exchange(
        self, key: tuple[str, str, int], conn: _Conn, data: bytes, *, reused: bool
    ) -> Response:
        loop = asyncio.get_running_loop()
        if conn.transport is None or conn.closed:
            # Seen under uvloop with an overloaded peer: the connection was reset before
            # connection_made ran. Not our bug, the peer's: a transport error, retried.
            conn.close()
            if reused:
                raise _StaleConnectionError
            raise ConnectionResetError("connection closed before the request was sent")
        conn.parser = ResponseParser()
        conn.waiter = loop.create_future()
        conn.transport.write(data)
        try:
            resp = await conn.waiter
        except RemoteProtocolError:
            if reused and conn.closed and not conn.parser.started:
                raise _StaleConnectionError from None
            conn.close()
            raise
        except BaseException:
            conn.close()  # cancelled or timed out mid-exchange: never reuse it
            raise
        conn.parser = None
        conn.waiter = None
        if resp.keep_alive:
            self._give_back(key, conn, loop.time())
        else:
            conn.close()
        return resp
