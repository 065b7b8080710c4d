"""In real Chromium: an SOS pops up on dispatch and supervisor only, is acknowledged, audited;
an off-hook during the SOS does not take the screen; the stream resumes after a drop."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from callpoint.server import Server
from tests.console.conftest import LAPTOP, Console, open_console

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def popup_of(page: Page) -> str | None:
    found = await page.evaluate("document.querySelector('#popup')?.dataset.incident ?? null")
    assert found is None or isinstance(found, str)
    return found


async def test_sos_pops_up_on_dispatch_and_supervisor_not_wall_and_ack_is_audited(
    cp: Console, browser: Browser, screenshots: Path
) -> None:
    dispatch = await open_console(browser, cp, "alice", "dispatch")
    supervisor = await open_console(browser, cp, "sam", "supervisor")
    wall = await open_console(browser, cp, "root", "wall")
    for name in ("dispatch", "supervisor", "wall"):
        await cp.screens(name)

    status, answer, _ = await cp.post_event("EXPH-03", "sos")
    assert status == 202
    inc = answer["incident_id"]
    for page in (dispatch, supervisor):
        await page.wait_for_selector(f'#popup[data-incident="{inc}"]', timeout=5_000)
        assert "SOS" in await page.inner_text("#popup-title")
    # The wall sees the tile (the board is everyone's) but gets no pop-up before escalation.
    await wall.wait_for_selector(f'.tile.prio-sos[data-incident="{inc}"]', timeout=5_000)
    await asyncio.sleep(0.3)
    assert await popup_of(wall) is None

    # Timeline and actions are filled in from the API.
    await dispatch.wait_for_selector('#popup-timeline li[data-kind="opened"]', timeout=5_000)
    await dispatch.wait_for_selector('#popup-actions li[data-kind="popup"]', timeout=5_000)
    await dispatch.screenshot(path=str(screenshots / "popup.png"))

    await dispatch.keyboard.press("a")  # acknowledge shortcut
    await dispatch.wait_for_selector('#popup[data-state="acknowledged"]', timeout=5_000)
    await supervisor.wait_for_selector(
        f'.tile.state-acknowledged[data-incident="{inc}"]', timeout=5_000
    )

    await dispatch.keyboard.press("Escape")
    await dispatch.keyboard.press("4")  # the audit page
    row = dispatch.locator('#audit-rows tr[data-action="acknowledge"]')
    await row.first.wait_for(timeout=5_000)
    assert await row.first.get_attribute("data-actor") == "alice"
    assert inc in await row.first.inner_text()
    audit = await cp.api("/api/v1/audit")
    assert {(r["actor"], r["action"]) for r in audit["audit"]} >= {
        ("alice", "acknowledge"),
        ("alice", "login"),
    }


async def test_off_hook_during_active_sos_does_not_take_the_screen(
    cp: Console, browser: Browser, screenshots: Path
) -> None:
    dispatch = await open_console(browser, cp, "alice", "dispatch")
    await cp.screens("dispatch")
    _, sos, _ = await cp.post_event("EXPH-03", "sos")
    await dispatch.wait_for_selector(f'#popup[data-incident="{sos["incident_id"]}"]')

    _, routine, _ = await cp.post_event("EXPH-07", "off_hook")
    off = routine["incident_id"]
    await dispatch.wait_for_selector(f'.tile.prio-routine[data-incident="{off}"]', timeout=5_000)
    _, gate, _ = await cp.post_event("GATE-INTERCOM-01", "button_press")
    await dispatch.wait_for_selector(f'.tile[data-incident="{gate["incident_id"]}"]')
    await asyncio.sleep(0.3)

    assert await popup_of(dispatch) == sos["incident_id"]
    shown = await dispatch.evaluate("window.__cp.popups.map(p => p.incident)")
    assert off not in shown
    timeline = (await cp.api(f"/api/v1/incidents/{off}"))["timeline"]
    assert any("withheld" in t["text"] for t in timeline)

    # Board order: the SOS first, then the others by priority.
    order = await dispatch.eval_on_selector_all(".tile", "ts => ts.map(t => t.dataset.incident)")
    assert order[0] == sos["incident_id"]
    assert order.index(gate["incident_id"]) < order.index(off)  # button press is priority 20

    await dispatch.keyboard.press("Escape")
    await dispatch.keyboard.press("n")  # next incident: the first tile is selected
    assert await dispatch.get_attribute(".tile.selected", "data-incident") == sos["incident_id"]
    await dispatch.keyboard.press("n")
    assert await dispatch.get_attribute(".tile.selected", "data-incident") == gate["incident_id"]
    await dispatch.mouse.move(0, 0)
    await dispatch.screenshot(path=str(screenshots / "board.png"))

    # Laptop size: the board and an open pop-up fit the width, no sideways scrolling.
    await dispatch.set_viewport_size(LAPTOP)
    await dispatch.keyboard.press("Enter")
    await dispatch.wait_for_selector(f'#popup[data-incident="{gate["incident_id"]}"]')
    overflow = await dispatch.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


async def test_stream_resumes_from_last_id_after_a_drop(cp: Console, browser: Browser) -> None:
    dispatch = await open_console(browser, cp, "alice", "dispatch")
    await cp.screens("dispatch")
    await cp.post_event("IO-EAST-01", "motion")  # something seen before the drop
    await dispatch.wait_for_function("() => window.__cp.ids.length > 0")
    await dispatch.evaluate("window.__cp.dropStream(1500)")
    for _ in range(100):
        if cp.server.feed.hub.screens("dispatch") == 0:
            break
        await asyncio.sleep(0.02)
    assert cp.server.feed.hub.screens("dispatch") == 0
    _, first, _ = await cp.post_event("EXPH-07", "off_hook")  # while disconnected
    _, second, _ = await cp.post_event("GATE-INTERCOM-01", "button_press")
    for inc in (first["incident_id"], second["incident_id"]):
        await dispatch.wait_for_selector(f'.tile[data-incident="{inc}"]', timeout=8_000)
    assert await dispatch.evaluate("window.__cp.app.stream.lastId") > 1
    ids = await dispatch.evaluate("window.__cp.ids")
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # no message lost, none twice
    assert await dispatch.inner_text("#stream-state") == "live"


async def test_console_comes_back_after_a_server_restart(cp: Console, browser: Browser) -> None:
    dispatch = await open_console(browser, cp, "alice", "dispatch")
    await cp.screens("dispatch")
    _, before, _ = await cp.post_event("EXPH-07", "off_hook")
    await dispatch.wait_for_selector(f'#popup[data-incident="{before["incident_id"]}"]')
    old = cp.server
    await old.stop()
    await dispatch.wait_for_selector("#stream-state.off", timeout=5_000)
    port = old.url.rsplit(":", 1)[1]
    cp.server = Server(replace(old.options, listen=f"127.0.0.1:{port}"))
    await cp.server.start()
    # While the browser waits to retry, the call ends: the restarted server numbers its
    # messages from 1 again, so the page must notice and reload rather than "resume".
    status, _, _ = await cp.post_event("EXPH-07", "call_ended")
    assert status == 202
    await cp.screens("dispatch")  # the browser reconnected, with its session cookie
    await dispatch.wait_for_selector("#stream-state.on")
    await dispatch.wait_for_selector(
        f'.tile[data-incident="{before["incident_id"]}"]', state="detached", timeout=5_000
    )
    _, sos, _ = await cp.post_event("EXPH-03", "sos")
    await dispatch.wait_for_selector(f'#popup[data-incident="{sos["incident_id"]}"]')
    order = await dispatch.eval_on_selector_all(".tile", "ts => ts.map(t => t.dataset.incident)")
    assert order == [sos["incident_id"]]
