"""A clean restart: open incidents are back in the engine and can be handled."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from callpoint.server import ServeOptions, Server
from tests.conftest import EXAMPLE_SITE
from tests.server.conftest import Live

pytestmark = pytest.mark.asyncio


async def test_incident_from_before_a_restart_can_be_acknowledged_after_it(
    tmp_path: Path, site_env: None
) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(EXAMPLE_SITE.read_text())
    options = ServeOptions(config=config, db=tmp_path / "cp.db", listen="127.0.0.1:0")
    first = Server(options)
    await first.start()
    async with aiohttp.ClientSession() as http:
        live = Live(first, http, config)
        _, sos = await live.post_event("EXPH-03", "sos")
        await first.stop()
        second = Server(options)
        await second.start()
        try:
            live = Live(second, http, config)
            status, body = await live.post(f"/api/v1/incidents/{sos['incident_id']}/ack")
            assert status == 200 and body["incident"]["state"] == "acknowledged"
            # The SOS still holds dispatch: a routine call does not take the screen.
            _, routine = await live.post_event("EXPH-07", "off_hook")
            inc = await live.get(f"/api/v1/incidents/{routine['incident_id']}")
            assert [a for a in inc["actions"] if a["kind"] == "popup"] == []
        finally:
            await second.stop()


async def test_a_started_server_keeps_gc_pauses_off_the_request_path(live: Live) -> None:
    import gc

    from callpoint.server import GC_YOUNG_THRESHOLD

    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    assert gc.get_freeze_count() > 10_000  # config, indexes and code are out of the scans
