"""Press a button on a simulated device (`callpoint simulate` must be running).

Examples: `callpoint press EXPH-03 sos`, `callpoint press GATE-INTERCOM-01 button_press`,
`callpoint press IO-EAST-01 input_active --input 2`. Prints what callpoint answered.
"""

from __future__ import annotations

import argparse
import json
import sys

from callpoint.cli.http_post import UnreachableError, post
from callpoint.cli.simulate import DEFAULT_CONTROL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("device", help="device id, e.g. EXPH-03")
    parser.add_argument("event", help="event type, e.g. sos, off_hook, button_press")
    parser.add_argument("--input", type=int, help="input number (I/O modules)")
    parser.add_argument(
        "--sim-url",
        default=f"http://{DEFAULT_CONTROL}",
        help="the simulator's control page (default: %(default)s)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds")


def run(args: argparse.Namespace) -> int:
    if not args.sim_url.startswith(("http://", "https://")):
        print("--sim-url must be http:// or https://", file=sys.stderr)
        return 2
    body: dict[str, object] = {"device": args.device, "event": args.event}
    if args.input is not None:
        body["input"] = args.input
    url = args.sim_url.rstrip("/") + "/api/press"
    try:
        status, text = post(url, json.dumps(body).encode(), {}, args.timeout)
    except UnreachableError as exc:
        print(f"cannot reach the simulator at {url}: {exc}", file=sys.stderr)
        return 1
    print(text)
    if status != 200:
        return 1
    answer = json.loads(text)
    callpoint = answer.get("callpoint_status")
    return 0 if callpoint is None or callpoint in (200, 202) else 1
