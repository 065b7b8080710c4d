"""In real Chromium: an unacknowledged SOS sounds, a routine call does not, mute silences."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from tests.console.conftest import Console, open_console

pytestmark = pytest.mark.asyncio(loop_scope="module")

CUE_EVERY_MS = 1500


async def alarms(page: Page) -> int:
    return int(await page.evaluate("() => window.__cp.alarms ?? 0"))


async def test_sos_sounds_until_acknowledged_routine_is_quiet_and_mute_works(
    cp: Console, browser: Browser
) -> None:
    page = await open_console(browser, cp, "alice", "dispatch")
    await cp.screens("dispatch")
    await page.mouse.click(5, 300)  # browsers start audio only after a user gesture
    await page.wait_for_function("() => window.__cp.audio === 'running'")

    _, call, _ = await cp.post_event("EXPH-07", "off_hook")
    await page.wait_for_selector(f'#popup[data-incident="{call["incident_id"]}"]')
    await page.wait_for_timeout(CUE_EVERY_MS + 300)
    assert await alarms(page) == 0  # routine: quiet

    _, sos, _ = await cp.post_event("EXPH-03", "sos")
    await page.wait_for_selector(f'#popup[data-incident="{sos["incident_id"]}"]')
    await page.wait_for_function("() => (window.__cp.alarms ?? 0) >= 2", timeout=6_000)

    await page.keyboard.press("m")
    assert await page.inner_text("#mute") == "sound muted"
    muted_at = await alarms(page)
    await page.wait_for_timeout(CUE_EVERY_MS + 300)
    assert await alarms(page) == muted_at

    await page.keyboard.press("m")
    await page.keyboard.press("a")  # acknowledged: the cue stops even unmuted
    await page.wait_for_selector('#popup[data-state="acknowledged"]')
    acked_at = await alarms(page)
    await page.wait_for_timeout(CUE_EVERY_MS + 300)
    assert await alarms(page) == acked_at
