"""A real callpoint server with console users, and real headless Chromium, per test."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from callpoint.console.accounts import AccountStore, Role
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from callpoint.server import ServeOptions, Server
from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET
from tests.support import probes
from tests.support.peers import CHROMIUM, require_peer

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
USERS = {"alice": Role.OPERATOR, "sam": Role.SUPERVISOR, "root": Role.ADMIN}
FULL_HD: ViewportSize = {"width": 1920, "height": 1080}
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
# Where screenshots go: a temporary directory, unless `make screenshots` names docs/img.
SCREENSHOTS_ENV = "CALLPOINT_SCREENSHOTS_DIR"

SiteEdit = Callable[[str], str]


@dataclass
class Console:
    """The running server plus helpers to drive it like devices and operators do."""

    server: Server
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.server.url

    async def post_event(self, device: str, type_: str) -> tuple[int, dict[str, Any], float]:
        """Send a signed webhook; returns status, body and Date.now()-style ms at the answer."""
        body = event_body(device, type_, utc_now())
        headers = signed_headers(WEBHOOK_SECRET, body, utc_now())
        async with self.http.post(f"{self.url}/api/v1/events", data=body, headers=headers) as r:
            answer = json.loads(await r.text())
            return r.status, answer, time.time() * 1000

    async def api(self, path: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with self.http.get(f"{self.url}{path}", headers=headers) as r:
            assert r.status == 200, await r.text()
            return dict(await r.json())

    async def screens(self, console: str, at_least: int = 1) -> None:
        """Wait until `at_least` browsers are connected as `console`."""
        for _ in range(200):
            if self.server.feed.hub.screens(console) >= at_least:
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"no {console} console connected")


@pytest.fixture
def site_text() -> SiteEdit:
    """Override in a test module to change the example site for that module."""
    return lambda text: text


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """The directory the tests' screenshots are written to (`make screenshots`: docs/img)."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    where = Path(chosen) if chosen else tmp_path / "screenshots"
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture(scope="session")
def users_db(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A database holding only USERS, made once: argon2 hashing is slow on purpose."""
    path = tmp_path_factory.mktemp("users") / "users.db"
    store = AccountStore(path)
    store.open()
    for name, role in USERS.items():
        store.add_user(name, role, PASSWORD)
    store.close()
    return path.read_bytes()


@pytest_asyncio.fixture(loop_scope="module")
async def cp(
    tmp_path: Path, site_env: None, site_text: SiteEdit, users_db: bytes
) -> AsyncIterator[Console]:
    config = tmp_path / "site.yaml"
    config.write_text(site_text(EXAMPLE_SITE.read_text()))
    (tmp_path / "cp.db").write_bytes(users_db)  # the server adds its own tables at start
    server = Server(ServeOptions(config=config, db=tmp_path / "cp.db", listen="127.0.0.1:0"))
    await server.start()
    async with aiohttp.ClientSession() as http:
        console = Console(server, http)
        yield console
    await console.server.stop()  # a test may have replaced the server (restart)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def chromium() -> AsyncIterator[Browser]:
    """One Chromium per test module: starting it costs more than most tests."""
    require_peer(CHROMIUM)
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=probes.CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def browser(cp: Console, chromium: Browser) -> AsyncIterator[Browser]:
    """Chromium for one test; its contexts (cookies, pages) are closed before the server."""
    yield chromium
    for context in chromium.contexts:
        await context.close()


async def open_console(
    browser: Browser,
    cp: Console,
    user: str,
    console: str,
    viewport: ViewportSize = FULL_HD,
) -> Page:
    """Log in as `user` in a fresh browser context and choose `console`."""
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{cp.url}/console/?console={console}")
    assert "/login" in page.url  # not logged in yet: sent to the login page
    await page.fill("#username", user)
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_selector("#stream-state.on", timeout=10_000)
    await page.wait_for_function("() => window.__cp && window.__cp.ready", timeout=10_000)
    return page
