"""Validate a site.yaml: every problem is printed as file:line: field: message.

Exit status 0 when the file is valid, 1 when it is not.
"""

from __future__ import annotations

import argparse
import sys

from callpoint.config import ConfigError, load_site


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="path of site.yaml")


def run(args: argparse.Namespace) -> int:
    try:
        site = load_site(args.file)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{len(exc.issues)} problem(s) in {args.file}", file=sys.stderr)
        return 1
    cfg = site.config
    print(
        f"{args.file}: OK: site '{cfg.site.name}', {len(cfg.locations)} locations, "
        f"{len(cfg.devices)} devices, {len(cfg.cameras)} cameras, {len(cfg.rules)} rules"
    )
    return 0
