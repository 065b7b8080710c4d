"""Find ONVIF devices with WS-Discovery and list what they say about themselves.

By default only the addresses given with --unicast are probed (a directed Probe to UDP
3702, or another port). Multicast to 239.255.255.250 on the local segment is sent only
with --multicast: on a plant network, probing every device is a decision to make on
purpose. Exit code 0 when at least one device answered, 1 when none did.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from callpoint.onvif import discovery as wsd
from callpoint.onvif.discovery.udp import Address


def _address(text: str) -> Address:
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, wsd.DISCOVERY_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"bad port in {text!r}")
    return host.strip("[]"), int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--unicast",
        action="append",
        default=[],
        type=_address,
        metavar="HOST[:PORT]",
        help="probe this address directly (repeatable; port 3702 unless given)",
    )
    parser.add_argument(
        "--multicast", action="store_true", help="also probe the local segment by multicast"
    )
    parser.add_argument("--interface", help="IPv4 address of the interface for multicast")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait (3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def device_json(found: wsd.Discovered) -> dict[str, object]:
    """One answer as JSON."""
    info = found.info
    return {
        "endpoint": found.endpoint.address,
        "xaddrs": list(found.endpoint.xaddrs),
        "from": f"{found.source[0]}:{found.source[1]}",
        "name": info.name,
        "hardware": info.hardware,
        "locations": list(info.locations),
        "profiles": sorted(info.profiles),
        "types": [t.rpartition("}")[2] for t in found.endpoint.types],
        "scopes": list(found.endpoint.scopes),
    }


def _table(devices: list[dict[str, object]]) -> str:
    lines = []
    for d in devices:
        xaddrs = d["xaddrs"]
        assert isinstance(xaddrs, list)
        profiles = d["profiles"]
        assert isinstance(profiles, list)
        lines.append(
            f"{d['name'] or '?'}  [{d['hardware'] or '?'}]  profiles {','.join(profiles) or '-'}"
        )
        lines.append(f"    {' '.join(xaddrs) or '(no XAddrs)'}  from {d['from']}")
        lines.append(f"    {d['endpoint']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if not args.unicast and not args.multicast:
        print("give --unicast HOST[:PORT] or, on purpose, --multicast", file=sys.stderr)
        return 2
    if not 0 < args.timeout <= 60:
        print("--timeout must be in (0, 60] seconds", file=sys.stderr)
        return 2
    found = asyncio.run(
        wsd.probe(
            targets=args.unicast,
            multicast=args.multicast,
            interfaces=(args.interface,) if args.interface else (),
            timeout_s=args.timeout,
        )
    )
    devices = [device_json(d) for d in found]
    if args.json:
        print(json.dumps(devices, indent=2))
    elif devices:
        print(_table(devices))
    print(f"{len(devices)} device(s) answered", file=sys.stderr)
    return 0 if devices else 1
