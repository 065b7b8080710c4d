"""Sign and POST one device event to a callpoint server, and print its answer.

The secret (whsec_...) or token is read from an environment variable, never from the
command line, so it does not end up in shell history or process lists.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from callpoint.cli.http_post import UnreachableError, post
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import AttrValue, EventType, utc_now


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="server base URL")
    parser.add_argument("--device", required=True, help="device id, e.g. EXPH-03")
    parser.add_argument(
        "--type", required=True, choices=[t.value for t in EventType], help="event type"
    )
    parser.add_argument("--id", help="event id for idempotent re-delivery")
    parser.add_argument("--attr", action="append", default=[], metavar="KEY=VALUE")
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument(
        "--secret-env",
        default="CALLPOINT_WEBHOOK_SECRET",
        help="env var with the whsec_ secret (default: %(default)s)",
    )
    auth.add_argument("--token-env", help="env var with a bearer token instead of a signature")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds")


def run(args: argparse.Namespace) -> int:
    attrs: dict[str, AttrValue] = {}
    for item in args.attr:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"--attr {item!r}: expected KEY=VALUE", file=sys.stderr)
            return 2
        attrs[key] = value
    now = utc_now()
    body = event_body(args.device, args.type, now, event_id=args.id, attributes=attrs)
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            print(f"environment variable {args.token_env} is not set", file=sys.stderr)
            return 2
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    else:
        secret = os.environ.get(args.secret_env)
        if not secret:
            print(f"environment variable {args.secret_env} is not set", file=sys.stderr)
            return 2
        headers = signed_headers(secret, body, now)
    url = args.url.rstrip("/") + "/api/v1/events"
    if not url.startswith(("http://", "https://")):
        print("--url must be http:// or https://", file=sys.stderr)
        return 2
    try:
        status, text = post(url, body, headers, args.timeout)
    except UnreachableError as exc:
        print(f"cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    print(f"{status} {text}")
    try:
        answer = json.loads(text)
    except json.JSONDecodeError:
        answer = {}
    return 0 if status in (200, 202) and "event_id" in answer else 1
