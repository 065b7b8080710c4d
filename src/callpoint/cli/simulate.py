"""Run a virtual device for every device and camera of a site, on loopback.

Intercoms and cameras are ONVIF devices (one port each) with an RTSP stream; phones and
intercoms report to callpoint with signed webhooks; I/O modules answer Modbus TCP; two
receivers record what a Milestone or Nx VMS would be sent. Nothing multicasts unless
--discovery is given (with --bind on a real interface).
With --json, one JSON line per device once it answers, then {"ready": true, ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

from callpoint.cli.loop import run_loop
from callpoint.config import ConfigError, load_site
from callpoint.server import split_listen
from callpoint.sim import DeviceLine, SimOptions, Simulator
from callpoint.sim.discovery import check_discovery_address
from callpoint.sim.media import MediaServerError

DEFAULT_CONTROL = "127.0.0.1:8099"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, type=Path, help="path of site.yaml")
    parser.add_argument("--json", action="store_true", help="one JSON line per ready device")
    parser.add_argument(
        "--callpoint-url",
        help="where devices send webhooks (default: http://<server.listen> of the site)",
    )
    parser.add_argument("--no-webhooks", action="store_true", help="devices send no webhooks")
    parser.add_argument(
        "--control",
        default=DEFAULT_CONTROL,
        help="HOST:PORT of the control page (default: %(default)s; port 0 picks one)",
    )
    parser.add_argument("--username", default="admin", help="ONVIF/RTSP user of every device")
    parser.add_argument(
        "--password-env",
        help="env var holding the devices' password (default: a random one, printed)",
    )
    parser.add_argument("--no-media", action="store_true", help="no RTSP (no GStreamer needed)")
    parser.add_argument(
        "--bind", default="127.0.0.1", help="address of every device (default: %(default)s)"
    )
    parser.add_argument(
        "--discovery",
        action="store_true",
        help="announce the ONVIF devices by WS-Discovery multicast on --bind's interface "
        "(needs a non-loopback --bind; sends on that network)",
    )
    parser.add_argument("--duration", type=float, help="stop after this many seconds")


def options_from(args: argparse.Namespace, server_listen: str) -> SimOptions:
    """SimOptions from the command line (raises ValueError on a bad value)."""
    url: str | None = args.callpoint_url or f"http://{server_listen}"
    if args.no_webhooks:
        url = None
    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise ValueError(f"environment variable {args.password_env} is not set")
    host, port = split_listen(args.control)
    if args.discovery:
        check_discovery_address(args.bind)
    return SimOptions(
        callpoint_url=url,
        username=args.username,
        password=password,
        media=not args.no_media,
        bind=args.bind,
        control_host=host,
        control_port=port,
        discovery=args.discovery,
    )


def _print_line(as_json: bool, line: DeviceLine) -> None:
    if as_json:
        print(json.dumps(line.to_json(), separators=(",", ":")), flush=True)
        return
    where = line.onvif or line.modbus or line.url or ""
    print(f"  {line.id:<24} {line.kind.value:<10} {where}", flush=True)


async def simulate(args: argparse.Namespace, sim: Simulator) -> None:
    """Start, announce, wait for a signal or the duration, stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await sim.start(lambda line: _print_line(args.json, line))
    try:
        if args.json:
            ready = {"ready": True, "control": sim.control_url, "devices": len(sim.devices)}
            print(json.dumps(ready, separators=(",", ":")), flush=True)
        else:
            print(f"credentials {sim.options.username} / {sim.password}")
            print(f"webhooks to {sim.webhooks.url or 'nowhere'}")
            print(f"control page {sim.control_url}  (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.duration)
    finally:
        await sim.close()


def run(args: argparse.Namespace) -> int:
    try:
        site = load_site(args.config)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return 1
    try:
        options = options_from(args, site.config.server.listen)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        run_loop(simulate(args, Simulator(site.config, options)))
    except OSError as exc:
        print(f"simulator not started: {exc}", file=sys.stderr)
        return 1
    except MediaServerError as exc:
        print(f"simulator not started: {exc}", file=sys.stderr)
        print("install what is missing, or run with --no-media (no video)", file=sys.stderr)
        return 1
    return 0
