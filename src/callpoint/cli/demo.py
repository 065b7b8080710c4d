"""Run the example tank-farm site on SQLite in a temporary directory, with its devices.

The simulator runs a virtual device for every device and camera of the site (cameras
stream over RTSP; intercoms and cameras are ONVIF devices; the bridged phone EXPH-07 is
also served by callpoint as an ONVIF device for a VMS). Then the phones press: an
off-hook at post 07 and an SOS at post 03, as signed webhooks, so there is something to
see: the SOS takes the shared PTZ camera and the dispatch screen from the routine call.
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
import tempfile
from dataclasses import replace
from importlib import resources
from pathlib import Path

import aiohttp

from callpoint.cli.loop import run_loop
from callpoint.cli.simulate import DEFAULT_CONTROL
from callpoint.console.accounts import Role
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from callpoint.server import ServeOptions, Server, split_listen
from callpoint.sim import SimOptions, Simulator
from callpoint.sim.media import MediaServerError

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


async def press_events(sim: Simulator) -> list[str]:
    """The phones press the sample events through the simulator (signed webhooks)."""
    lines = []
    for device, kind in DEMO_EVENTS:
        result = await sim.press(device, kind)
        delivery = result.delivery
        status = f"HTTP {delivery.status}" if delivery and delivery.status else "not delivered"
        incident = delivery.incident_id if delivery else None
        lines.append(f"  {kind:<9} from {device}: {status} incident {incident}")
        await asyncio.sleep(0.5)
    return lines


async def action_summary(server: Server) -> list[str]:
    """What the sample events asked for, per kind and state (presets and recordings
    stay `planned` until their executors exist; consoles take show and pop-up)."""
    counts: dict[tuple[str, str], list[str]] = {}
    for action in reversed(await server.store.actions(limit=100)):
        counts.setdefault((action.kind.value, action.state.value), []).append(action.target)
    return [
        f"  {kind:<9} {state:<8} {', '.join(dict.fromkeys(targets))}"
        for (kind, state), targets in sorted(counts.items())
    ]


async def start_simulator(server: Server, control: str) -> Simulator:
    """The example site's devices, reporting to `server`; without video if GStreamer fails."""
    host, port = split_listen(control)
    options = SimOptions(callpoint_url=server.url, control_host=host, control_port=port)
    sim = Simulator(server.site.config, options)
    try:
        await sim.start()
    except MediaServerError as exc:
        print(f"  (no camera streams: {exc}; running the devices without video)", flush=True)
        sim = Simulator(server.site.config, replace(options, media=False))
        await sim.start()
    return sim


def print_sim(sim: Simulator, server: Server) -> None:
    """Where the simulated devices and the bridged phones answer."""
    print(
        f"  simulator      {sim.control_url}  (press buttons here, or: callpoint press "
        f"EXPH-03 sos --sim-url {sim.control_url})"
    )
    print(f"  devices        ONVIF/RTSP user {sim.options.username} password {sim.password}")
    for line in sim.lines():
        if line.rtsp:
            print(f"    {line.id:<24} {line.rtsp}")
    for bridged in server.bridge.devices:
        print(
            f"  ONVIF bridge   {bridged.device_id} at {bridged.url} "
            f"(user {server.bridge.username} password {server.bridge.password})"
        )


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
    sim: Simulator | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not args.no_sim:
            sim = await start_simulator(server, args.control)
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
            print("actions:")
            for line in await action_summary(server):
                print(line, flush=True)
            for device_id, onvif in server.bridge.onvif.items():
                active = [token for token, on in onvif.inputs.items() if on] or ["none"]
                print(f"  ONVIF bridge {device_id}: inputs active {', '.join(active)}")
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
