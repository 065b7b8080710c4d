"""A TCP listener that takes every waiting connection at once, on any event loop.

libuv (so uvloop) accepts ONE connection per turn of the event loop since libuv 1.45
(libuv pull request 3696). At 2,000 events/s a turn lasts 5-30 ms, so a burst of new
connections (phones reconnecting after a restart or a network cut, during an incident)
was accepted at 30-200 a second: in the benchmark, fresh connections waited 0.2-1.9 s in
the kernel's queue with the server's loop two-thirds busy. Here the listening sockets are
ours, watched with `add_reader`, and each readiness accepts everything waiting (up to the
backlog); the loop then wraps each accepted socket in its own transport.

Out of descriptors (EMFILE, ENFILE) the listening socket stays readable: answering that at
once would spin the loop. The listener sheds the longest-idle connections
(`on_exhausted`), stops reading the socket for BACKOFF_S, and logs the first time, then
counts (`exhausted`); connections waiting meanwhile stay in the kernel's queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable

log = logging.getLogger(__name__)

BACKOFF_S = 0.25  # out of descriptors: how long the listener stops accepting
SHED_AT_EXHAUSTION = 16  # idle connections closed to win back descriptors, each time
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def bind_sockets(host: str, port: int, backlog: int) -> list[socket.socket]:
    """Listening, non-blocking sockets for `host` (all its addresses; "" for any)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    seen: set[tuple[int, object]] = set()
    try:
        for family, type_, proto, _, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            sock = socket.socket(family, type_, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class GreedyListener(asyncio.AbstractServer):
    """Serves `protocol_factory` on sockets from `bind_sockets`."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sockets: list[socket.socket],
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        backlog: int,
        *,
        on_exhausted: Callable[[int], int] | None = None,
    ) -> None:
        self._loop = loop
        self._on_exhausted = on_exhausted  # sheds up to N idle connections, says how many
        self.exhausted = 0  # times accept found no descriptor left
        self._backoff: asyncio.TimerHandle | None = None
        self._sockets = sockets
        self._factory = protocol_factory
        self._backlog = backlog
        self._serving = False
        self._adopting: set[asyncio.Task[None]] = set()

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._sockets)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return self._serving

    async def start_serving(self) -> None:
        if self._serving:
            return
        self._serving = True
        for sock in self._sockets:
            self._loop.add_reader(sock.fileno(), self._accept_all, sock)

    async def serve_forever(self) -> None:  # pragma: no cover - the site drives this server
        await self.start_serving()
        await asyncio.Event().wait()

    def close(self) -> None:
        """Stop listening; connections already accepted are not touched."""
        if self._serving:
            for sock in self._sockets:
                self._loop.remove_reader(sock.fileno())
        if self._backoff is not None:
            self._backoff.cancel()
            self._backoff = None
        self._serving = False
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    async def wait_closed(self) -> None:
        if self._adopting:
            await asyncio.gather(*self._adopting, return_exceptions=True)

    def _accept_all(self, sock: socket.socket) -> None:
        for _ in range(self._backlog):
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _OUT_OF_DESCRIPTORS:
                    self._back_off(sock, exc)
                    return
                continue  # ECONNABORTED and the like: that one connection is gone
            conn.setblocking(False)
            task = self._loop.create_task(self._adopt(conn))
            self._adopting.add(task)
            task.add_done_callback(self._adopting.discard)

    def _back_off(self, sock: socket.socket, exc: OSError) -> None:
        """Stop reading the listening sockets for BACKOFF_S; shed idle connections."""
        self.exhausted += 1
        shed = self._on_exhausted(SHED_AT_EXHAUSTION) if self._on_exhausted else 0
        if self.exhausted == 1:
            log.warning(
                "accept on %s: %s; shed %d idle connections, pausing %.2f s "
                "(further occurrences are counted in /healthz, not logged)",
                sock.getsockname(),
                exc.strerror,
                shed,
                BACKOFF_S,
            )
        if self._backoff is not None or not self._serving:
            return
        for listening in self._sockets:
            self._loop.remove_reader(listening.fileno())
        self._backoff = self._loop.call_later(BACKOFF_S, self._resume)

    def _resume(self) -> None:
        self._backoff = None
        if self._serving:
            for sock in self._sockets:
                self._loop.add_reader(sock.fileno(), self._accept_all, sock)

    async def _adopt(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except Exception:
            log.exception("could not take on an accepted connection")
            with contextlib.suppress(OSError):
                conn.close()
