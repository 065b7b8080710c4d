"""Probe one ONVIF device and print a readiness report (what works, and every problem).

The password is read from an environment variable (--password-env), never from the
command line, so it does not end up in shell history or process lists. Progress goes to
stderr, the report to stdout. Exit code 0 when no problem was found, 1 otherwise, 2 on
bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from callpoint.onvif.client import device_url
from callpoint.probe import ProbeOptions, probe_device, render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # No prefix matching: "--password SECRET" must be refused, not read as --password-env.
    parser.allow_abbrev = False
    parser.add_argument("url", help="device service URL, or HOST[:PORT]")
    parser.add_argument("--user", help="ONVIF user")
    parser.add_argument(
        "--password-env", metavar="VAR", help="environment variable holding the password"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--stream-seconds", type=float, default=2.0, help="decode each stream this long (2)"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per ONVIF call (5)")
    parser.add_argument(
        "--no-discovery", action="store_true", help="skip the unicast WS-Discovery Probe"
    )


def run(args: argparse.Namespace) -> int:
    password: str | None = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if password is None:
            print(f"environment variable {args.password_env} is not set", file=sys.stderr)
            return 2
    if args.user and password is None:
        print("--user needs --password-env VAR", file=sys.stderr)
        return 2
    if not 0 < args.stream_seconds <= 60 or not 0 < args.timeout <= 60:
        print("--stream-seconds and --timeout must be in (0, 60]", file=sys.stderr)
        return 2
    options = ProbeOptions(
        stream_seconds=args.stream_seconds,
        call_timeout_s=args.timeout,
        discovery=not args.no_discovery,
    )

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    report = asyncio.run(
        probe_device(device_url(args.url), args.user, password, options=options, progress=progress)
    )
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(render(report))
    return 0 if report.ready else 1
