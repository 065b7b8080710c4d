"""kill -9 while 1,000 events are being posted: every 202 survives, exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET
from tests.server.proc import ServerProcess

pytestmark = pytest.mark.asyncio

TOTAL = 1_000
SENDERS = 25
KILL_AFTER = 400  # acknowledgements seen before the kill
DEVICES = ("EXPH-03", "EXPH-07", "GATE-INTERCOM-01")
KINDS = ("test", "tamper", "door_open", "off_hook", "sos", "call_ended")


async def test_every_acknowledged_event_survives_kill_9_exactly_once(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(EXAMPLE_SITE.read_text())
    db = tmp_path / "cp.db"
    server = await ServerProcess(config, db, tmp_path / "server.log").start()
    acked: set[str] = set()
    failed = 0
    killed = asyncio.Event()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(TOTAL):
        queue.put_nowait(i)

    async def sender(http: aiohttp.ClientSession) -> None:
        nonlocal failed
        while not queue.empty():
            i = queue.get_nowait()
            body = event_body(DEVICES[i % 3], KINDS[i % 6], utc_now(), event_id=f"crash-{i}")
            headers = signed_headers(WEBHOOK_SECRET, body, utc_now())
            try:
                async with http.post(
                    f"{server.url}/api/v1/events", data=body, headers=headers
                ) as r:
                    answer = await r.json()
                    if r.status == 202:
                        acked.add(answer["event_id"])
            except (TimeoutError, aiohttp.ClientError):
                failed += 1
            if len(acked) >= KILL_AFTER and not killed.is_set():
                killed.set()
                await server.kill9()

    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(sender(http) for _ in range(SENDERS)))
    assert killed.is_set() and failed > 0  # the kill happened mid-stream
    assert len(acked) >= KILL_AFTER

    server = await ServerProcess(config, db, tmp_path / "server2.log").start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/healthz") as r:
                assert (await r.json())["status"] == "ok"
            # A sender that never got its answer re-delivers: it is not stored twice.
            lost = sorted(
                f"crash-{i}"
                for i in range(TOTAL)
                if f"EXPH-03:crash-{i}" not in acked and i % 3 == 0
            )[:20]
            for event_id in lost:
                body = event_body("EXPH-03", "test", utc_now(), event_id=event_id)
                async with http.post(
                    f"{server.url}/api/v1/events",
                    data=body,
                    headers=signed_headers(WEBHOOK_SECRET, body, utc_now()),
                ) as r:
                    assert r.status in (200, 202)
            async with http.get(
                f"{server.url}/api/v1/incidents", headers={"Authorization": f"Bearer {API_TOKEN}"}
            ) as r:
                assert r.status == 200
    finally:
        await server.stop()
    with sqlite3.connect(db) as conn:
        counts = dict(conn.execute("SELECT id, COUNT(*) FROM events GROUP BY id").fetchall())
    missing = acked - set(counts)
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:5]}"
    assert all(counts[i] == 1 for i in acked)
    assert all(n == 1 for n in counts.values())
