"""Run inside ipycam's network namespace by test_ipycam.py: connect, query, print JSON.

Usage: python ipycam_probe.py PORT USER PASSWORD
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time

from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.errors import OnvifError
from callpoint.onvif.transport import SoapHttp

READY_TIMEOUT_S = 20.0


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"ipycam did not listen on {port} within {READY_TIMEOUT_S} s")


async def main(port: int, user: str, password: str) -> dict[str, object]:
    out: dict[str, object] = {}
    async with SoapHttp() as http:
        dev = OnvifDevice(f"127.0.0.1:{port}", user, password, http=http, timeout_s=5)
        started = time.perf_counter()
        await dev.connect()
        info = await dev.device_information()
        profiles = await dev.profiles()
        uri = await dev.stream_uri(profiles[0].token)
        out["flow_ms"] = (time.perf_counter() - started) * 1000
        out["offset_s"] = dev.clock_offset_s
        out["services"] = sorted(dev.services)
        out["manufacturer"] = info.manufacturer
        out["profiles"] = [p.token for p in profiles]
        out["stream_uri"] = uri.uri
        out["scopes"] = list(await dev.scopes())
        out["snapshot"] = (await dev.snapshot_uri(profiles[0].token)).uri
        for name, call in (
            ("presets", dev.presets(profiles[0].token)),
            ("status", dev.ptz_status(profiles[0].token)),
        ):
            try:
                out[name] = repr(await call)
            except OnvifError as exc:
                out[name + "_error"] = [type(exc).__name__, str(exc)]
        wrong = OnvifDevice(f"127.0.0.1:{port}", user, password + "x", http=http, timeout_s=5)
        try:
            await wrong.connect()
            out["wrong_password"] = "accepted"
        except OnvifError as exc:
            out["wrong_password"] = type(exc).__name__
    return out


if __name__ == "__main__":
    p = int(sys.argv[1])
    wait_for_port(p)
    print(json.dumps(asyncio.run(main(p, sys.argv[2], sys.argv[3]))))
