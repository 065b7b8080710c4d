"""Run the example tank-farm site on SQLite in a temporary directory, with its devices.

The simulator runs a virtual device for every device and camera of the site (cameras
stream over RTSP; intercoms and cameras are ONVIF devices, which the demo's site.yaml
points callpoint at; the bridged phone EXPH-07 is also served by callpoint as an ONVIF
device for a VMS). Then the phones press: an off-hook at post 07 and an SOS at post 03,
as signed webhooks, so there is something to see: the SOS takes the shared PTZ camera
(its stream then draws the SOS preset) and the dispatch screen from the routine call.
--no-sim runs without the simulator (no GStreamer needed); events are then sent directly.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import secrets
import signal
import sys
import tempfile
from importlib import resources
from pathlib import Path

import aiohttp

from callpoint.cli.demo_sim import (
    DEMO_EVENTS,
    SIM_PASSWORD_ENV,
    camera_views,
    demo_site_text,
    no_video_warning,
    press_events,
    print_sim,
    start_simulator,
)
from callpoint.cli.loop import run_loop
from callpoint.cli.simulate import DEFAULT_CONTROL
from callpoint.config import load_site
from callpoint.console.accounts import Role
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from callpoint.server import ServeOptions, Server
from callpoint.sim import Simulator


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
    parser.add_argument(
        "--no-sim", action="store_true", help="no simulated devices (no GStreamer needed)"
    )
    parser.add_argument(
        "--control",
        default=DEFAULT_CONTROL,
        help="HOST:PORT of the simulator's control page (default: %(default)s)",
    )


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


async def action_summary(server: Server) -> list[str]:
    """What the sample events asked for, per kind and state (kinds without an executor,
    such as recordings, stay `planned`; consoles take show and pop-up when connected)."""
    counts: dict[tuple[str, str], list[str]] = {}
    for action in reversed(await server.store.actions(limit=100)):
        counts.setdefault((action.kind.value, action.state.value), []).append(action.target)
    return [
        f"  {kind:<9} {state:<8} {', '.join(dict.fromkeys(targets))}"
        for (kind, state), targets in sorted(counts.items())
    ]


async def run_demo(args: argparse.Namespace, workdir: Path) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    token = secrets.token_urlsafe(18)
    os.environ["CALLPOINT_WEBHOOK_SECRET"] = secret
    os.environ["CALLPOINT_API_TOKEN"] = token
    sim: Simulator | None = None
    no_video = ""
    config = example_site_path()
    if not args.no_sim:
        sim, no_video = await start_simulator(load_site(config).config, args.control)
        if no_video:
            print(no_video_warning(no_video), file=sys.stderr, flush=True)
        os.environ[SIM_PASSWORD_ENV] = sim.password
        text = demo_site_text(config.read_text(), sim)
        config = workdir / "site.yaml"
        config.write_text(text)
    server = Server(ServeOptions(config=config, db=workdir / "callpoint.db", listen=args.listen))
    try:
        await server.start()
    except BaseException:
        if sim is not None:
            await sim.close()
        raise
    if sim is not None:
        await sim.webhooks.retarget(server.url)
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
        if sim is not None:
            print_sim(sim, server)
        if not args.no_events:
            print("sample events:")
            lines = await (press_events(sim) if sim else fire(server.url, secret))
            for line in lines:
                print(line, flush=True)
            if sim is not None:
                print("PTZ cameras (the streams draw the preset they were sent to):")
                for line in await camera_views(sim):
                    print(line, flush=True)
            print("actions:")
            for line in await action_summary(server):
                print(line, flush=True)
            for device_id, onvif in server.bridge.onvif.items():
                active = [token for token, on in onvif.inputs.items() if on] or ["none"]
                print(f"  ONVIF bridge {device_id}: inputs active {', '.join(active)}")
        if no_video:
            print(no_video_warning(no_video), flush=True)
        print("Ctrl-C to stop.", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.duration)
    finally:
        if sim is not None:
            await sim.close()
        await server.stop()


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="callpoint-demo-") as tmp:
        run_loop(run_demo(args, Path(tmp)))
    print("demo stopped; its temporary database is gone.")
    return 0
