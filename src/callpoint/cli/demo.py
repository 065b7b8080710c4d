"""Run the example tank-farm site on SQLite in a temporary directory.

Fires one off-hook (post 07) and one SOS (post 03) so there is something to see: the SOS
takes the shared PTZ camera and the dispatch screen from the routine call.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import secrets
import signal
import tempfile
from importlib import resources
from pathlib import Path

import aiohttp

from callpoint.cli.loop import run_loop
from callpoint.console.accounts import Role
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from callpoint.server import ServeOptions, Server

DEMO_EVENTS = (("EXPH-07", "off_hook"), ("EXPH-03", "sos"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen", default="127.0.0.1:8080", help="HOST:PORT (default: %(default)s)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="stop after this many seconds (default: run until Ctrl-C)",
    )
    parser.add_argument("--no-events", action="store_true", help="do not fire the sample events")


def example_site_path() -> Path:
    return Path(str(resources.files("callpoint") / "examples" / "site.yaml"))


async def fire(url: str, secret: str) -> list[str]:
    """POST the sample events, signed; returns one line per event for the terminal."""
    lines = []
    async with aiohttp.ClientSession() as http:
        for device, kind in DEMO_EVENTS:
            now = utc_now()
            body = event_body(device, kind, now)
            async with http.post(
                f"{url}/api/v1/events", data=body, headers=signed_headers(secret, body, now)
            ) as resp:
                answer = await resp.json()
            incident = answer.get("incident_id")
            lines.append(f"  {kind:<9} from {device}: HTTP {resp.status} incident {incident}")
            await asyncio.sleep(0.5)
    return lines


async def run_demo(args: argparse.Namespace, workdir: Path) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    token = secrets.token_urlsafe(18)
    os.environ["CALLPOINT_WEBHOOK_SECRET"] = secret
    os.environ["CALLPOINT_API_TOKEN"] = token
    server = Server(
        ServeOptions(config=example_site_path(), db=workdir / "callpoint.db", listen=args.listen)
    )
    await server.start()
    console_password = secrets.token_urlsafe(12)
    await asyncio.to_thread(server.accounts.add_user, "demo", Role.ADMIN, console_password)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        print(f"callpoint demo: site '{server.site.config.site.name}'", flush=True)
        print(f"  console        {server.url}/  (user demo, password {console_password})")
        print(f"  API            {server.url}/api/v1/incidents  (Authorization: Bearer {token})")
        print(f"  live stream    {server.url}/api/v1/stream?access_token={token}")
        print(f"  health         {server.url}/healthz")
        print(f"  database       {workdir / 'callpoint.db'}")
        print(
            f"  send an event  CALLPOINT_WEBHOOK_SECRET={secret} callpoint send-event "
            f"--url {server.url} --device EXPH-03 --type off_hook"
        )
        if not args.no_events:
            print("sample events:")
            for line in await fire(server.url, secret):
                print(line, flush=True)
        print("Ctrl-C to stop.", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.duration)
    finally:
        await server.stop()


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="callpoint-demo-") as tmp:
        run_loop(run_demo(args, Path(tmp)))
    print("demo stopped; its temporary database is gone.")
    return 0
