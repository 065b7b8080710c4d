"""Run virtual ONVIF devices from the command line, for manual tests with real clients.

    python -m callpoint.onvif.server --kind intercom --count 2 --user admin --password secret

Prints one JSON line per device once it answers (`id`, `kind`, `onvif`, `username`,
`password`, the fields of `callpoint simulate --json`), then serves until SIGINT/SIGTERM.
Binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost
from callpoint.onvif.server.kinds import DeviceKind, make_config
from callpoint.onvif.server.model import DeviceUser, PTZPreset, PTZVector

DEMO_PRESETS = (
    PTZPreset("1", "Gate", PTZVector(0.2, 0.0, 0.1)),
    PTZPreset("2", "Fence", PTZVector(-0.6, -0.1, 0.3)),
    PTZPreset("3", "Car park", PTZVector(0.7, -0.2, 0.0)),
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m callpoint.onvif.server", description=__doc__)
    p.add_argument("--kind", choices=[k.value for k in DeviceKind], default="intercom")
    p.add_argument("--count", type=int, default=1, help="devices to start (1-1000)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=0, help="first port (0: any free ones)")
    p.add_argument("--user", default="admin")
    p.add_argument("--password", required=True)
    p.add_argument("--location", default="", help="location tag (scopes, phone events)")
    return p


async def serve(opts: argparse.Namespace) -> None:
    """Start the devices, print their lines, serve until a signal."""
    kind = DeviceKind(opts.kind)
    host = DeviceHost(opts.bind)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for i in range(opts.count):
            device_id = f"{kind.value.replace('_', '-')}-{i + 1}"
            config = make_config(
                kind,
                device_id,
                (DeviceUser(opts.user, opts.password),),
                name=device_id,
                location=opts.location,
                presets=DEMO_PRESETS,
            )
            port = opts.port + i if opts.port else 0
            hosted = await host.add(VirtualDevice(config), port=port)
            line = {
                "id": device_id,
                "kind": kind.value,
                "onvif": hosted.device_service_url,
                "username": opts.user,
                "password": opts.password,
            }
            print(json.dumps(line), flush=True)
        await stop.wait()
    finally:
        await host.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    opts = _parser().parse_args(argv)
    if not 1 <= opts.count <= 1000:
        print("--count must be 1-1000", file=sys.stderr)
        return 2
    asyncio.run(serve(opts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
