"""Webhook accepted -> pop-up rendered in a real browser, over SOS / off-hook cycles.

Starts callpoint in this process on 127.0.0.1 (example site, duplicate window shortened
so cycles can follow each other quickly), logs one headless Chromium in as the dispatch
console, then per cycle: SOS from EXPH-03 (pop-up), sos_cleared, off-hook from EXPH-07
(pop-up), call_ended. The page stamps each pop-up with performance.timeOrigin +
performance.now() in the animation frame after the pop-up was inserted (i.e. rendered);
the bench stamps the webhook request and its 202 with time.time() on the same clock.

    .venv/bin/python bench/console_latency_bench.py --cycles 100

Prints p50/p99/max of (rendered - 202 received) and of (rendered - request sent). The
pop-up travels outbox -> stream -> browser while the 202 travels back to the sender, so
"after 202" can be negative: the browser showed it before the device heard "accepted".
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from playwright.async_api import Browser, Page, async_playwright

from callpoint.console.accounts import Role
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from callpoint.server import ServeOptions, Server

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_" + base64.b64encode(b"console-latency-bench-secret-0123").decode()
PASSWORD = "bench password 1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def send(
    http: aiohttp.ClientSession, url: str, device: str, kind: str
) -> tuple[str, float, float]:
    body = event_body(device, kind, utc_now())
    headers = signed_headers(SECRET, body, utc_now())
    sent = time.time() * 1000
    async with http.post(f"{url}/api/v1/events", data=body, headers=headers) as r:
        answer = await r.json()
        accepted = time.time() * 1000
    if r.status != 202:
        raise RuntimeError(f"{device} {kind}: HTTP {r.status} {answer}")
    return str(answer.get("incident_id")), sent, accepted


async def rendered_at(page: Page, incident: str) -> tuple[float, float]:
    """When the page got the pop-up message, and when the pop-up was rendered."""
    handle = await page.wait_for_function(
        "id => window.__cp.popups.find(p => p.incident === id)", arg=incident, timeout=10_000
    )
    stamps = await handle.json_value()
    return float(stamps["received"]), float(stamps["painted"])


async def login(browser: Browser, url: str, console: str) -> Page:
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    page = await context.new_page()
    await page.goto(f"{url}/login?next=/console/%3Fconsole%3D{console}")
    await page.fill("#username", "bench")
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_function("() => window.__cp && window.__cp.ready", timeout=15_000)
    return page


async def run(cycles: int, workdir: Path) -> int:
    os.environ["CALLPOINT_WEBHOOK_SECRET"] = SECRET
    os.environ["CALLPOINT_API_TOKEN"] = "bench-token-not-used"
    site = (ROOT / "examples" / "site.yaml").read_text()
    config = workdir / "site.yaml"
    config.write_text(site.replace("duplicate_window_s: 2", "duplicate_window_s: 0.01"))
    server = Server(ServeOptions(config=config, db=workdir / "cp.db", listen="127.0.0.1:0"))
    await server.start()
    await asyncio.to_thread(server.accounts.add_user, "bench", Role.OPERATOR, PASSWORD)
    after_202: list[float] = []
    after_send: list[float] = []
    in_browser: list[float] = []
    try:
        async with async_playwright() as pw, aiohttp.ClientSession() as http:
            browser = await pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
            )
            page = await login(browser, server.url, "dispatch")
            await login(browser, server.url, "supervisor")  # SOS pops up there too
            for console in ("dispatch", "supervisor"):
                while server.feed.hub.screens(console) < 1:
                    await asyncio.sleep(0.02)
            for _ in range(cycles):
                for device, opening, closing in (
                    ("EXPH-03", "sos", "sos_cleared"),
                    ("EXPH-07", "off_hook", "call_ended"),
                ):
                    incident, sent, accepted = await send(http, server.url, device, opening)
                    received, painted = await rendered_at(page, incident)
                    in_browser.append(painted - received)
                    after_202.append(painted - accepted)
                    after_send.append(painted - sent)
                    await send(http, server.url, device, closing)
            await browser.close()
    finally:
        await server.stop()
    n = len(after_202)
    print(
        f"console pop-up latency, {n} pop-ups ({cycles} SOS/off-hook cycles), measured on dispatch"
    )
    for name, values in (
        ("rendered - 202 received", after_202),
        ("rendered - request sent", after_send),
        ("of which in the browser", in_browser),
    ):
        print(
            f"  {name:<24} p50 {pct(values, 0.5):7.1f} ms  p99 {pct(values, 0.99):7.1f} ms"
            f"  max {max(values):7.1f} ms  mean {statistics.fmean(values):6.1f} ms"
        )
    print(f"  host load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cp-console-bench-") as tmp:
        return asyncio.run(run(args.cycles, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())
