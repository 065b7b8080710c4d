"""A small asyncio HTTP/1.1 client with a keep-alive pool, over :mod:`http11`.

Why not aiohttp here: a SOAP call is one POST and one small reply, and aiohttp's general
machinery cost about 0.25 ms per call on this machine, more than everything else in a
call together (bench/README.md). This layer only moves bytes; parsing is in http11.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import ssl
from collections import defaultdict, deque
from typing import cast
from urllib.parse import urlsplit

from callpoint.codecs.http11 import Response, ResponseParser, build_post, parse_response
from callpoint.onvif.errors import RemoteProtocolError, TransportError

IDLE_S = 4.0
"""An idle pooled connection is closed after this many seconds, in seconds; embedded HTTP
servers drop idle connections after 5-15 s, so we let go first."""
MAX_IDLE_PER_HOST = 4
"""Idle connections kept per host:port."""
MAX_IDLE_TOTAL = 1024
"""Idle connections kept across all hosts (bounds file descriptors and memory)."""
MAX_ACTIVE_PER_HOST = 4
"""Exchanges in flight per host:port; more wait their turn (embedded web servers serve a
handful of connections at once and drop the rest)."""


_TIMER_SLACK_S = 0.001
"""Deadlines this close count as passed when the watchdog fires: loops round timers (uvloop
to whole milliseconds, and its clock ticks in them), so a timer set for a deadline may fire
a hair before it; without the slack the watchdog would re-arm and spin until the clock
ticks over."""


class _Conn(asyncio.Protocol):
    __slots__ = ("closed", "deadline", "idle_since", "parser", "replied", "transport", "waiter")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser: ResponseParser | None = None
        """Made on the first read that is not a whole response (see parse_response)."""
        self.waiter: asyncio.Future[Response] | None = None
        self.replied = False
        """True once any byte of the current reply has arrived."""
        self.closed = False
        self.idle_since = 0.0
        self.deadline = 0.0
        """Loop time by which the current exchange must have its reply."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's (what `callpoint serve` runs on) does not subclass
        # asyncio.Transport, so an isinstance check would refuse every connection there.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            self.close()  # bytes nobody asked for: the connection is unusable
            return
        self.replied = True
        parser = self.parser
        try:
            if parser is None:
                resp = parse_response(data)
                if resp is not None:
                    waiter.set_result(resp)
                    return
                parser = self.parser = ResponseParser()
            parser.feed(data)
        except RemoteProtocolError as exc:
            waiter.set_exception(exc)
            self.close()
            return
        if parser.response is not None:
            waiter.set_result(parser.response)

    def eof_received(self) -> bool:
        self._ended()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._ended()

    def _ended(self) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.parser is None:
            waiter.set_exception(
                RemoteProtocolError("connection closed before a complete response")
            )
            return
        try:
            self.parser.eof()
        except RemoteProtocolError as exc:
            waiter.set_exception(exc)
            return
        if self.parser.response is not None:
            waiter.set_result(self.parser.response)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


@functools.lru_cache(maxsize=4096)
def split_url(url: str) -> tuple[tuple[str, str, int], str, str]:
    """(pool key, request target, Host header) of a URL; cached, devices reuse theirs."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TransportError(f"bad URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"unsupported URL {url!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.scheme, parts.hostname, port), target, parts.netloc.rpartition("@")[2]


class HttpClient:
    """POST bytes, get a :class:`Response`; keeps connections alive per host:port.

    At most MAX_ACTIVE_PER_HOST exchanges per host:port run at once; the rest queue in
    arrival order. The hot path (a free slot and an idle kept-alive connection) costs one
    future: no Semaphore, no asyncio.timeout() context, not even a timer handle per call,
    whose bookkeeping was a measurable part of a 0.2 ms call (bench/README.md). Replies
    are timed by one watchdog timer per client instead: it is armed for the earliest
    deadline among the exchanges in flight, moved earlier when a new exchange needs it
    to be, and on firing fails the exchanges past their deadline and re-arms for the
    next. With steady traffic it fires about once per timeout period.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._idle: defaultdict[tuple[str, str, int], deque[_Conn]] = defaultdict(deque)
        self._ssl = ssl_context
        self._idle_count = 0
        self._active: dict[tuple[str, str, int], int] = {}
        """Exchanges in flight per host:port (absent: none)."""
        self._queued: dict[tuple[str, str, int], deque[asyncio.Future[None]]] = {}
        """Callers waiting for a slot per host:port, oldest first (absent: none)."""
        self._inflight: set[_Conn] = set()
        """Connections awaiting a reply (their deadlines are the watchdog's business)."""
        self._watchdog: asyncio.TimerHandle | None = None
        self._watch_at = math.inf
        self._watch_loop: asyncio.AbstractEventLoop | None = None

    async def close(self) -> None:
        """Close every idle connection. (Exchanges still in flight stay watched; the
        watchdog stops by itself once none is left.)"""
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

    # --- per-host slots -------------------------------------------------------------

    async def _wait_turn(self, key: tuple[str, str, int], deadline: float) -> None:
        """Wait in line for one of the host's slots (none was free)."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queued.setdefault(key, deque())
        queue.append(turn)
        try:
            async with asyncio.timeout_at(deadline):
                await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release(key)  # the slot was handed over as we gave up: pass it on
            else:
                turn.cancel()
                with contextlib.suppress(ValueError):
                    queue.remove(turn)
                if not queue and self._queued.get(key) is queue:
                    del self._queued[key]
            raise

    def _release(self, key: tuple[str, str, int]) -> None:
        """Give a slot back: to the first caller still waiting, else to the pool."""
        queue = self._queued.get(key)
        while queue:
            turn = queue.popleft()
            if not queue:
                del self._queued[key]
            if not turn.done():
                turn.set_result(None)  # handed over: the active count stays
                return
        active = self._active[key] - 1
        if active:
            self._active[key] = active
        else:
            del self._active[key]

    # --- the watchdog ---------------------------------------------------------------

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        """(Re)schedule the watchdog for loop time ``when``."""
        if self._watch_loop is not loop:
            # First use, or a new loop (an earlier one has ended): whatever was in flight
            # there can never complete here.
            self._inflight = {c for c in self._inflight if c.waiter and c.waiter.get_loop() is loop}
        elif self._watchdog is not None:
            self._watchdog.cancel()
        self._watch_loop = loop
        self._watch_at = when
        self._watchdog = loop.call_at(when, self._expire_due)

    def _expire_due(self) -> None:
        """Fail the exchanges past their deadline; re-arm for the earliest other one."""
        loop = self._watch_loop
        assert loop is not None
        self._watchdog, self._watch_at = None, math.inf
        now = loop.time() + _TIMER_SLACK_S
        earliest = math.inf
        for conn in tuple(self._inflight):
            if conn.deadline <= now:
                self._inflight.discard(conn)
                waiter = conn.waiter
                if waiter is not None and not waiter.done():
                    # Its caller gets TimeoutError and closes the connection.
                    waiter.set_exception(TimeoutError())
            elif conn.deadline < earliest:
                earliest = conn.deadline
        if earliest < math.inf:
            self._arm(loop, earliest)

    # --- exchanges ------------------------------------------------------------------

    async def post(
        self, url: str, headers: dict[str, str], body: bytes, timeout_s: float
    ) -> Response:
        """POST ``body`` to ``url``; the whole exchange bounded by ``timeout_s``."""
        _, target, host = split_url(url)
        return await self.send(url, build_post(target, host, headers, body), timeout_s)

    async def send(self, url: str, data: bytes, timeout_s: float) -> Response:
        """Send prepared request bytes (one request for ``url``: see http11.build_post,
        post_head) and return the response; the whole exchange bounded by ``timeout_s``."""
        key = split_url(url)[0]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            active = self._active.get(key, 0)
            if active < MAX_ACTIVE_PER_HOST and key not in self._queued:
                self._active[key] = active + 1  # a free slot: the usual case
            else:
                await self._wait_turn(key, deadline)
            try:
                return await self._exchange(key, data, deadline)
            finally:
                self._release(key)
        except TimeoutError as exc:
            raise TransportError(f"no answer from {url} within {timeout_s} s") from exc
        except OSError as exc:
            raise TransportError(f"HTTP to {url} failed: {exc}") from exc

    async def _connect(self, key: tuple[str, str, int], deadline: float) -> _Conn:
        scheme, host, port = key
        ctx: ssl.SSLContext | None = None
        if scheme == "https":
            if self._ssl is None:
                # Built once: loading the CA store costs milliseconds.
                self._ssl = ssl.create_default_context()
            ctx = self._ssl
        loop = asyncio.get_running_loop()
        async with asyncio.timeout_at(deadline):
            _, conn = await loop.create_connection(_Conn, host, port, ssl=ctx)
        return conn

    async def _exchange(self, key: tuple[str, str, int], data: bytes, deadline: float) -> Response:
        """One request and its response, on an idle kept-alive connection if there is
        one, else (or if the device had dropped that one) on a new connection."""
        loop = asyncio.get_running_loop()
        conn = self._take(key, loop.time())
        reused = conn is not None
        while True:
            if conn is None:
                conn = await self._connect(key, deadline)
            transport = conn.transport
            if transport is None or conn.closed:
                # Seen under uvloop with an overloaded peer: the connection was reset
                # before connection_made ran. Not our bug, the peer's: a transport error.
                conn.close()
                if not reused:
                    raise ConnectionResetError("connection closed before the request was sent")
                conn, reused = None, False  # stale: the request never left; reconnect
                continue
            conn.parser = None
            conn.replied = False
            waiter: asyncio.Future[Response] = loop.create_future()
            conn.waiter = waiter
            conn.deadline = deadline
            self._inflight.add(conn)
            if deadline < self._watch_at or self._watch_loop is not loop:
                self._arm(loop, deadline)  # (a stopped watchdog has _watch_at = inf)
            try:
                transport.write(data)
                resp = await waiter
            except RemoteProtocolError:
                if not (reused and conn.closed and not conn.replied):
                    conn.close()
                    raise
                # The device had dropped the idle connection before any byte of a reply:
                # the request never arrived. Once more on a new connection.
                conn, reused = None, False
                continue
            except BaseException:
                conn.close()  # cancelled or timed out mid-exchange: never reuse it
                raise
            finally:
                self._inflight.discard(conn)
            conn.parser = None
            conn.waiter = None
            if resp.keep_alive:
                self._give_back(key, conn, loop.time())
            else:
                conn.close()
            return resp
