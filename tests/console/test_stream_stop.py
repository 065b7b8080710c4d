"""A server with consoles connected stops at once: open streams are ended, not waited for."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from callpoint.server import ServeOptions, Server
from tests.conftest import API_TOKEN, EXAMPLE_SITE

pytestmark = pytest.mark.asyncio


async def test_stop_ends_open_streams(tmp_path: Path, site_env: None) -> None:
    server = Server(ServeOptions(config=EXAMPLE_SITE, db=tmp_path / "cp.db", listen="127.0.0.1:0"))
    await server.start()
    url = f"{server.url}/api/v1/stream?console=dispatch&access_token={API_TOKEN}"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        assert (await resp.content.readline()).startswith(b"retry:")
        assert server.feed.hub.screens("dispatch") == 1
        started = time.monotonic()
        await asyncio.wait_for(server.stop(), timeout=10)
        assert time.monotonic() - started < 5
        rest = await asyncio.wait_for(resp.content.read(), timeout=5)
        assert b"keep-alive" not in rest  # ended by the server, not by a timeout
