"""A real callpoint server on 127.0.0.1 with a real SQLite file, per test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from callpoint.server import ServeOptions, Server
from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET


@dataclass
class Live:
    server: Server
    http: aiohttp.ClientSession
    config: Path

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {API_TOKEN}"}

    async def post_event(
        self,
        device: str,
        type_: str,
        *,
        event_id: str | None = None,
        time: datetime | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        now = time or utc_now()
        body = event_body(device, type_, now, event_id=event_id)
        hdrs = headers if headers is not None else signed_headers(WEBHOOK_SECRET, body, utc_now())
        return await self.post_raw(body, hdrs)

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.url}/api/v1/events", data=body, headers=headers) as r:
            return r.status, json.loads(await r.text())

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        async with self.http.get(f"{self.url}{path}", headers=self.auth, params=params) as r:
            assert r.status == 200, await r.text()
            return dict(await r.json())

    async def post(self, path: str, body: object = None) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.url}{path}", headers=self.auth, json=body) as r:
            return r.status, dict(await r.json())


SiteEdit = Callable[[str], str]


@pytest.fixture
def site_text() -> SiteEdit:
    """Override in a test module to change the example site for that module."""
    return lambda text: text


@pytest_asyncio.fixture
async def live(tmp_path: Path, site_env: None, site_text: SiteEdit) -> AsyncIterator[Live]:
    config = tmp_path / "site.yaml"
    config.write_text(site_text(EXAMPLE_SITE.read_text()))
    server = Server(ServeOptions(config=config, db=tmp_path / "cp.db", listen="127.0.0.1:0"))
    await server.start()
    async with aiohttp.ClientSession() as http:
        yield Live(server, http, config)
    await server.stop()
