"""Executors on a live server: screen pushes, the http action against a real receiver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from tests.conftest import API_TOKEN
from tests.server.conftest import Live, SiteEdit

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A VMS-like HTTP endpoint on loopback that fails once, then records calls."""
    calls: list[dict[str, Any]] = []
    attempts = 0

    async def trigger(request: web.Request) -> web.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            return web.Response(status=503, text="busy")
        calls.append({"path": request.path, "body": json.loads(await request.read())})
        return web.Response(status=200)

    app = web.Application()
    app.add_routes([web.post("/trigger/{location}", trigger)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", calls
    await runner.cleanup()


@pytest.fixture
def site_text(receiver: tuple[str, list[dict[str, Any]]]) -> SiteEdit:
    url = receiver[0]
    action = (
        f'      - {{do: http, url: "{url}/trigger/{{location}}", '
        """body: '{"event": "{type}", "device": "{device}"}'}\n"""
    )
    return lambda text: text.replace(
        '      - {do: beacon, device: IO-EAST-01, output: 1, mode: "on"}\n',
        '      - {do: beacon, device: IO-EAST-01, output: 1, mode: "on"}\n' + action,
    )


async def _actions(live: Live, incident: str) -> list[dict[str, Any]]:
    return list((await live.get(f"/api/v1/incidents/{incident}"))["actions"])


async def test_http_action_is_retried_after_a_503_and_done(
    live: Live, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    _, sos = await live.post_event("EXPH-03", "sos")
    calls = receiver[1]
    for _ in range(100):
        if calls:
            break
        await asyncio.sleep(0.05)
    assert calls == [
        {"path": "/trigger/TANKFARM-EAST-POST-03", "body": {"event": "sos", "device": "EXPH-03"}}
    ]
    for _ in range(40):
        [http] = [a for a in await _actions(live, sos["incident_id"]) if a["kind"] == "http"]
        if http["state"] == "done":
            break
        await asyncio.sleep(0.05)
    assert http["state"] == "done" and http["attempts"] == 2  # the 503 was retried


async def test_popup_is_done_on_a_connected_console_and_retried_where_none_is(
    live: Live,
) -> None:
    url = f"{live.url}/api/v1/stream"
    async with live.http.get(url, params={"console": "dispatch", "access_token": API_TOKEN}):
        await asyncio.sleep(0.05)
        _, sos = await live.post_event("EXPH-03", "sos")
        states: dict[str, dict[str, Any]] = {}
        for _ in range(60):
            popups = [a for a in await _actions(live, sos["incident_id"]) if a["kind"] == "popup"]
            states = {a["target"]: a for a in popups}
            if states["dispatch"]["state"] == "done" and states["supervisor"]["attempts"] >= 1:
                break
            await asyncio.sleep(0.05)
    assert states["dispatch"]["state"] == "done"
    # Nobody is watching the supervisor screen: not silently "done", but retried.
    assert states["supervisor"]["state"] in ("planned", "running")
    assert states["supervisor"]["last_error"] == "no supervisor console connected"
