"""In real Chromium: an SOS nobody acknowledges escalates and pops up on the wall console."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import Browser

from tests.console.conftest import Console, SiteEdit, open_console

pytestmark = pytest.mark.asyncio(loop_scope="module")


ACK_TIMEOUT_S = 1.0


@pytest.fixture
def site_text() -> SiteEdit:
    return lambda text: text.replace("ack_timeout_s: 30", f"ack_timeout_s: {ACK_TIMEOUT_S}")


async def test_unacknowledged_sos_reaches_the_wall_after_the_ack_timeout(
    cp: Console, browser: Browser
) -> None:
    wall = await open_console(browser, cp, "root", "wall")
    dispatch = await open_console(browser, cp, "alice", "dispatch")
    await cp.screens("wall")
    await cp.screens("dispatch")

    _, sos, _ = await cp.post_event("EXPH-03", "sos")
    inc = sos["incident_id"]
    sent = time.monotonic()
    await dispatch.wait_for_selector(f'#popup[data-incident="{inc}"]')
    await asyncio.sleep(ACK_TIMEOUT_S / 2)
    assert await wall.query_selector("#popup") is None  # not yet: still within the timeout

    # chain [supervisor, wall]: level 1 after one timeout, level 2 (the wall) after two.
    await wall.wait_for_selector(f'#popup[data-incident="{inc}"]', timeout=10_000)
    assert time.monotonic() - sent >= 2 * ACK_TIMEOUT_S * 0.9
    banner = wall.locator("#popup-escalation")
    await banner.wait_for(timeout=5_000)
    assert "supervisor → wall" in await banner.inner_text()
    detail = await cp.api(f"/api/v1/incidents/{inc}")
    assert detail["escalation_level"] == 2
    # The dispatch board shows the escalation on the tile.
    await dispatch.wait_for_selector(f'.tile[data-incident="{inc}"] >> text=escalated L2')

    # Acknowledged from the wall by the admin: the ack names the user, escalation stops.
    await wall.click("#btn-ack")
    await wall.wait_for_selector('#popup[data-state="acknowledged"]')
    detail = await cp.api(f"/api/v1/incidents/{inc}")
    assert detail["acknowledged_by"] == "root"
