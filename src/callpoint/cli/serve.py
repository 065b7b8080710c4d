"""Run callpoint for a site: webhook ingress, engine, store, API and console.

SIGHUP reloads the config (a file with errors is refused and the running one stays);
SIGTERM or Ctrl-C stops cleanly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from callpoint.cli.loop import run_loop
from callpoint.config import ConfigError
from callpoint.server import ServeOptions, Server, serve
from callpoint.store import StoreError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, type=Path, help="path of site.yaml")
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("callpoint.db"),
        help="SQLite database (default: %(default)s)",
    )
    parser.add_argument("--listen", help="HOST:PORT, overrides server.listen in the config")
    parser.add_argument(
        "--durability",
        choices=["process", "power"],
        default="process",
        help="process: survive a crash (default); power: also a power loss (fsync per batch)",
    )


def _ready(server: Server) -> None:
    print(f"callpoint ready on {server.url}", flush=True)


def run(args: argparse.Namespace) -> int:
    options = ServeOptions(
        config=args.config,
        db=args.db,
        listen=args.listen,
        synchronous="FULL" if args.durability == "power" else "NORMAL",
    )
    try:
        run_loop(serve(options, _ready))
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print("not started: the configuration has errors", file=sys.stderr)
        return 1
    except (OSError, StoreError) as exc:  # a store that cannot take a write among them
        print(f"not started: {exc}", file=sys.stderr)
        return 1
    return 0
