"""In real Chromium: a connected call widens the pop-up's camera view (seed 002 table)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.console.conftest import Console, SiteEdit, open_console

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def site_text() -> SiteEdit:
    # Post 07 gets a third camera, so "show 4" on call_connected is wider than "show 2".
    return lambda text: text.replace(
        "cameras: [TANKFARM-EAST-PTZ-01, TANKFARM-EAST-FIX-05]",
        "cameras: [TANKFARM-EAST-PTZ-01, TANKFARM-EAST-FIX-05, TANKFARM-EAST-FIX-02]",
    )


async def test_connected_call_widens_the_pop_up_view(cp: Console, browser: Browser) -> None:
    page = await open_console(browser, cp, "alice", "dispatch")
    await cp.screens("dispatch")
    _, call, _ = await cp.post_event("EXPH-07", "off_hook")
    inc = call["incident_id"]
    await page.wait_for_selector(f'#popup[data-incident="{inc}"]')
    await cp.post_event("EXPH-07", "call_connected")
    await page.wait_for_selector("#popup .badge.live")
    detail = await cp.api(f"/api/v1/incidents/{inc}")
    shows = [a for a in detail["actions"] if a["kind"] == "show"]
    # Camera lists arrive as lists, not comma-joined text.
    assert all(isinstance(a["payload"]["cameras"], list) for a in shows)
    widest = max((a["payload"]["cameras"] for a in shows), key=len)
    await page.wait_for_function(
        "n => document.querySelectorAll('#popup .cam').length === n", arg=len(widest)
    )
    shown = await page.eval_on_selector_all("#popup .cam", "cs => cs.map(c => c.dataset.camera)")
    assert shown == widest
    assert len(widest) > min(len(a["payload"]["cameras"]) for a in shows)
    # The open pop-up follows the stream alone (it fetched the incident only when it
    # opened): the connected call in the timeline, its new show action and that action's
    # outcome, with the executor's words.
    await page.wait_for_selector('#popup-timeline li:has-text("call_connected")')
    [later] = [a for a in shows if a["payload"]["cameras"] == widest]
    row = page.locator(f'#popup-actions li[data-action="{later["id"]}"]')
    await row.locator(".st-done").wait_for()
    assert "shown on 1 dispatch screen(s)" in await row.inner_text()
