"""`callpoint` command line: one module per command, registered here."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

# command name -> module under callpoint.cli; each module has add_arguments() and run().
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "run the server for a site"),
    "demo": ("demo", "run the example site on SQLite in a temporary directory"),
    "check-config": ("check_config", "validate a site.yaml and print every problem"),
    "send-event": ("send_event", "sign and POST one device event (commissioning, tests)"),
    "user": ("user", "manage console users (add, list, passwd, disable, enable)"),
    "simulate": ("simulate", "run a virtual device for every device and camera of a site"),
    "press": ("press", "press a button on a simulated device"),
    "discover": ("discover", "find ONVIF devices by WS-Discovery (unicast unless --multicast)"),
    "probe": ("probe", "readiness report of one ONVIF device; exit 1 if it has problems"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callpoint",
        description="Turn presses on call points and intercoms into CCTV action.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        mod = import_module(f"callpoint.cli.{module}")
        cmd = sub.add_parser(name, help=help_text, description=mod.__doc__)
        mod.add_arguments(cmd)
        cmd.set_defaults(run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
