"""Config reload: SIGHUP and the API swap in a valid file and refuse a broken one."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET
from tests.server.proc import ServerProcess

pytestmark = pytest.mark.asyncio

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
NEW_PHONE = "  - id: EXPH-11\n    kind: phone\n    location: TANKFARM-EAST-POST-07\n"


async def _post(http: aiohttp.ClientSession, url: str, device: str, kind: str) -> int:
    body = event_body(device, kind, utc_now())
    async with http.post(
        f"{url}/api/v1/events", data=body, headers=signed_headers(WEBHOOK_SECRET, body, utc_now())
    ) as r:
        return r.status


async def _generation(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(f"{url}/healthz") as r:
        return int((await r.json())["config_generation"])


async def test_sighup_reloads_a_valid_config_and_refuses_a_broken_one(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    text = EXAMPLE_SITE.read_text()
    config.write_text(text)
    server = await ServerProcess(config, tmp_path / "cp.db", tmp_path / "server.log").start()
    try:
        async with aiohttp.ClientSession() as http:
            assert await _post(http, server.url, "EXPH-11", "off_hook") == 422
            config.write_text(text.replace("devices:\n", "devices:\n" + NEW_PHONE, 1))
            server.signal(signal.SIGHUP)
            for _ in range(50):
                if await _generation(http, server.url) == 2:
                    break
                await asyncio.sleep(0.05)
            assert await _post(http, server.url, "EXPH-11", "off_hook") == 202

            config.write_text(text.replace("kind: ptz", "kind: dome", 1))
            server.signal(signal.SIGHUP)
            await asyncio.sleep(0.5)
            assert await _generation(http, server.url) == 2  # the running config stays
            assert await _post(http, server.url, "EXPH-03", "sos") == 202
            async with http.get(f"{server.url}/api/v1/audit", headers=AUTH) as r:
                audit = [(a["actor"], a["action"]) for a in (await r.json())["audit"]]
            assert ("SIGHUP", "config_reload_refused") in audit
            assert ("SIGHUP", "config_reload") in audit
    finally:
        assert await server.stop() == 0
    assert "config reload by SIGHUP refused" in (tmp_path / "server.log").read_text()


async def test_api_reload_reports_issues_and_keeps_serving_events_in_flight(
    tmp_path: Path,
) -> None:
    config = tmp_path / "site.yaml"
    text = EXAMPLE_SITE.read_text()
    config.write_text(text)
    server = await ServerProcess(config, tmp_path / "cp.db", tmp_path / "server.log").start()
    try:
        async with aiohttp.ClientSession() as http:
            # Events keep flowing while reloads happen: none is refused or lost.
            devices = ["EXPH-03", "EXPH-07", "GATE-INTERCOM-01"] * 30
            kinds = ["test", "tamper", "door_open"]
            posts = [_post(http, server.url, d, kinds[i % 3]) for i, d in enumerate(devices)]
            config.write_text(text.replace("name: Tank Farm East", "name: Tank Farm East II"))

            async def reload() -> tuple[int, dict[str, object]]:
                async with http.post(f"{server.url}/api/v1/config/reload", headers=AUTH) as r:
                    return r.status, await r.json()

            results = await asyncio.gather(*posts[:45], reload(), *posts[45:])
            statuses = [s for s in results if isinstance(s, int)]
            assert statuses.count(202) == len(devices)
            status, body = next(r for r in results if isinstance(r, tuple))
            assert status == 200 and body["generation"] == 2
            async with http.get(
                f"{server.url}/api/v1/events", headers=AUTH, params={"limit": "1000"}
            ) as r:
                assert len((await r.json())["events"]) == len(devices)

            config.write_text(text.replace("priority: 90", "priority: 900"))
            status, body = await reload()
            assert status == 400 and body["error"] == "config refused"
            issues = body["issues"]
            assert isinstance(issues, list)
            assert any("rules[3].priority" in i for i in issues)
    finally:
        assert await server.stop() == 0
