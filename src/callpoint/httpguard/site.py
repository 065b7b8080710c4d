"""aiohttp's SockSite with every connection behind a `GuardedConnection`."""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from callpoint.httpguard.book import ConnectionBook
from callpoint.httpguard.guard import guarded_factory


class GuardedSockSite(web.SockSite):
    """Serves `runner` on `sock`; its connections counted and timed by `book`."""

    __slots__ = ("_book",)

    def __init__(self, runner: web.BaseRunner, sock: socket.socket, book: ConnectionBook) -> None:
        super().__init__(runner, sock)
        self._book = book

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site; SockSite.start would listen
        server = self._runner.server
        assert server is not None  # BaseSite checked that the runner is set up
        self._server = await asyncio.get_running_loop().create_server(
            guarded_factory(self._book, server), sock=self._sock, backlog=self._backlog
        )
