"""In real Chromium: choosing a console, the operator buttons, event log, device health."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser

from tests.console.conftest import FULL_HD, PASSWORD, Console, open_console

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_browser_chooses_which_console_it_is(cp: Console, browser: Browser) -> None:
    context = await browser.new_context(viewport=FULL_HD)
    page = await context.new_page()
    await page.goto(f"{cp.url}/login")
    await page.fill("#username", "sam")
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_selector("#chooser[open]")
    names = await page.eval_on_selector_all(
        "#chooser-list button", "bs => bs.map(b => b.dataset.console)"
    )
    assert names == ["dispatch", "supervisor", "wall"]
    await page.click('#chooser-list button[data-console="supervisor"]')
    await cp.screens("supervisor")
    assert "console=supervisor" in page.url
    assert await page.inner_text("#console-name") == "console: supervisor"
    # Remembered by this browser: a reload comes back as the same console.
    await page.goto(f"{cp.url}/console/")
    await page.wait_for_selector("#stream-state.on")
    assert await page.inner_text("#console-name") == "console: supervisor"


async def test_note_door_and_clear_from_the_pop_up_are_audited(
    cp: Console, browser: Browser
) -> None:
    page = await open_console(browser, cp, "alice", "dispatch")
    await cp.screens("dispatch")
    _, call, _ = await cp.post_event("GATE-INTERCOM-01", "button_press")
    inc = call["incident_id"]
    await page.wait_for_selector(f'#popup[data-incident="{inc}"]')

    await page.fill("#note-text", "visitor for the lab, expected")
    await page.click("#btn-note")
    await page.wait_for_selector('#popup-timeline li[data-kind="note"]')
    assert "visitor for the lab" in await page.inner_text("#popup-timeline")

    page.once("dialog", lambda d: d.accept())  # "Release the door at MAIN-GATE?"
    await page.click("#btn-door")
    await page.wait_for_selector('#popup-actions li[data-kind="door"]')
    await page.wait_for_selector('#popup-timeline li[data-kind="door"]')

    await page.click("#btn-clear")
    await page.wait_for_selector(f'.tile[data-incident="{inc}"]', state="detached")
    audit = await cp.api("/api/v1/audit")
    done = [(a["actor"], a["action"]) for a in audit["audit"] if a["subject"] == inc]
    assert sorted(done) == [("alice", "clear"), ("alice", "note"), ("alice", "release_door")]


async def test_event_log_filters_and_csv_link(cp: Console, browser: Browser) -> None:
    await cp.post_event("EXPH-03", "sos")
    await cp.post_event("EXPH-07", "off_hook")
    await cp.post_event("IO-EAST-01", "motion")
    page = await open_console(browser, cp, "alice", "wall")
    await page.keyboard.press("2")
    await page.wait_for_selector("#event-rows tr >> nth=2")
    await page.select_option('#event-filters select[name="type"]', "sos")
    await page.click('#event-filters button[type="submit"]')
    await page.wait_for_function("() => document.querySelectorAll('#event-rows tr').length === 1")
    assert await page.get_attribute("#event-rows tr", "data-type") == "sos"
    assert "type=sos" in (await page.get_attribute("#csv-link", "href") or "")
    async with page.expect_download() as info:
        await page.click("#csv-link")
    download = await info.value
    text = Path(await download.path()).read_text(encoding="utf-8")
    assert text.count("\n") == 2 and ",sos," in text


async def test_event_log_and_device_health_follow_the_live_stream(
    cp: Console, browser: Browser
) -> None:
    page = await open_console(browser, cp, "alice", "wall")
    await cp.screens("wall")
    await page.keyboard.press("3")  # device health, loaded once from the API
    never = page.locator('#health-rows tr[data-device="IO-EAST-01"]')
    await never.wait_for()
    assert "never heard" in await never.inner_text()
    await cp.post_event("IO-EAST-01", "motion")
    await page.wait_for_function(
        "() => document.querySelector('#health-rows tr[data-device=\"IO-EAST-01\"]')"
        ".innerText.includes('reporting')"
    )
    await page.keyboard.press("2")  # the event log: loaded from the API, then live
    await page.wait_for_selector('#event-rows tr[data-type="motion"]')
    # Sent together, these may be committed and streamed together: every one is shown.
    sent = [("GATE-INTERCOM-01", "button_press"), ("EXPH-07", "test"), ("EXPH-03", "tamper")]
    await asyncio.gather(*(cp.post_event(device, kind) for device, kind in sent))
    await page.wait_for_function("() => document.querySelectorAll('#event-rows tr').length === 4")
    await cp.post_event("EXPH-07", "fault")
    await page.wait_for_selector('#event-rows tr:first-child[data-type="fault"]')
    types = await page.eval_on_selector_all("#event-rows tr", "rs => rs.map(r => r.dataset.type)")
    assert types[0] == "fault" and types[-1] == "motion"
    assert sorted(types[1:4]) == sorted(kind for _, kind in sent)
    stored = (await cp.api("/api/v1/events"))["events"]
    assert types == [e["type"] for e in stored]  # live tail in the same order as the log


async def test_device_health_is_derived_from_events_and_faults(
    cp: Console, browser: Browser
) -> None:
    await cp.post_event("EXPH-03", "off_hook")
    page = await open_console(browser, cp, "sam", "supervisor")
    await page.keyboard.press("3")
    row = page.locator('#health-rows tr[data-device="EXPH-03"]')
    await row.wait_for()
    assert "reporting" in await row.inner_text()
    assert "never heard" in await page.inner_text('#health-rows tr[data-device="IO-EAST-01"]')
    await cp.post_event("EXPH-07", "fault")
    fault = page.locator('#health-rows tr[data-device="EXPH-07"] td.st-bad')
    await fault.wait_for(timeout=10_000)
    assert await fault.inner_text() == "fault"


async def test_ages_use_the_server_clock_when_the_browser_clock_is_wrong(
    cp: Console, browser: Browser
) -> None:
    context = await browser.new_context(viewport=FULL_HD)
    page = await context.new_page()
    await page.clock.set_system_time(datetime.now(UTC) + timedelta(hours=1))
    await page.goto(f"{cp.url}/login?next=/console/%3Fconsole%3Ddispatch")
    await page.fill("#username", "alice")
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_selector("#stream-state.on")
    assert await page.evaluate("() => Date.now()") > time.time() * 1000 + 3000_000
    _, sos, _ = await cp.post_event("EXPH-03", "sos")
    age = page.locator(f'.tile[data-incident="{sos["incident_id"]}"] .age')
    await age.wait_for()
    await page.wait_for_timeout(1200)  # one tick of the age display
    assert re.fullmatch(r"\d+s", await age.inner_text())  # seconds, not "1h 00m"
