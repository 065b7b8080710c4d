"""One process serving N virtual ONVIF devices, each with a live PullPoint being polled.

Usage: python bench/onvif_server_bench.py [--devices 500] [--seconds 30] [--event-every 5]

The server runs in a child process (so its CPU and memory are measured alone); this
process is the VMS: for every device it creates a PullPoint (UsernameToken digest auth)
and polls it with PullMessages(Timeout=PT5S) in a loop, renewing as VMS drivers do. The
server toggles each device's digital input every --event-every seconds (staggered), so
polls return Changed messages. Printed: server CPU (% of one core) and RSS, per device.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from lxml import etree  # noqa: E402

from callpoint.codecs.soap import build_envelope, parse_envelope  # noqa: E402
from callpoint.onvif.namespaces import TEV, WSA, WSNT, qname  # noqa: E402
from callpoint.onvif.security import username_token  # noqa: E402

USER, PASSWORD = "admin", "bench-pass"


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def serve(devices: int, event_every: float, own_ports: bool) -> None:
    from callpoint.onvif.server.device import VirtualDevice
    from callpoint.onvif.server.host import DeviceHost
    from callpoint.onvif.server.model import (
        DeviceConfig,
        DeviceIdentity,
        DeviceUser,
        DigitalInputConfig,
        MediaProfile,
        RelayOutputConfig,
    )

    host = DeviceHost()
    print(f"rss_empty {_proc_rss_mib(os.getpid()):.1f}", flush=True)
    hosted = []
    for i in range(devices):
        config = DeviceConfig(
            device_id=f"d{i}",
            identity=DeviceIdentity("callpoint", "Bench", "1", f"SN{i}", "HW"),
            users=(DeviceUser(USER, PASSWORD),),
            media_profiles=(MediaProfile("main", "Main", stream_uri=f"rtsp://127.0.0.1/d{i}"),),
            inputs=(DigitalInputConfig("in1"),),
            relays=(RelayOutputConfig("out1"),),
        )
        device = VirtualDevice(config)
        hosted.append((device, await host.add(device, port=0 if own_ports else None)))
    urls = [h.base_url for _, h in hosted]
    print(f"rss_loaded {_proc_rss_mib(os.getpid()):.1f}", flush=True)
    print("ready " + " ".join(urls), flush=True)
    runtimes = [device for device, _ in hosted]
    state = [False] * devices
    rate = devices / event_every  # events per second over all devices
    started = time.monotonic()
    done = 0
    while True:
        # Catch up on whatever is due, so the event rate holds even when sleeps run late.
        await asyncio.sleep(0.02)
        due = int((time.monotonic() - started) * rate)
        for n in range(done, due):
            i = n % devices
            state[i] = not state[i]
            runtimes[i].set_input("in1", state[i])
        done = due


def _request(body: etree._Element) -> bytes:
    return build_envelope(body, [username_token(USER, PASSWORD, datetime.now(UTC))])


async def poll_device(
    session: aiohttp.ClientSession, base: str, stop: float, stats: dict[str, int]
) -> None:
    create = etree.Element(qname(TEV, "CreatePullPointSubscription"))
    etree.SubElement(create, qname(TEV, "InitialTerminationTime")).text = "PT60S"
    async with session.post(f"{base}/onvif/events_service", data=_request(create)) as r:
        reply = parse_envelope(await r.read())
    assert reply.body is not None
    address = reply.body.findtext(f".//{{{WSA}}}Address")
    assert address
    renewed_at = time.monotonic()
    while time.monotonic() < stop:
        pull = etree.Element(qname(TEV, "PullMessages"))
        etree.SubElement(pull, qname(TEV, "Timeout")).text = "PT5S"
        etree.SubElement(pull, qname(TEV, "MessageLimit")).text = "100"
        async with session.post(address, data=_request(pull)) as r:
            data = await r.read()
            if r.status != 200:
                stats["errors"] += 1
                continue
        body = parse_envelope(data).body
        assert body is not None
        stats["polls"] += 1
        stats["messages"] += len(body.findall(qname(WSNT, "NotificationMessage")))
        if time.monotonic() - renewed_at > 30:
            renew = etree.Element(qname(WSNT, "Renew"))
            etree.SubElement(renew, qname(WSNT, "TerminationTime")).text = "PT60S"
            async with session.post(address, data=_request(renew)) as r:
                await r.read()
            renewed_at = time.monotonic()


async def drive(devices: int, seconds: float, event_every: float, own_ports: bool) -> None:
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--devices",
            str(devices),
            "--event-every",
            str(event_every),
            *(["--ports"] if own_ports else []),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        readings: dict[str, float] = {}
        urls: list[str] = []
        for line in server.stdout:
            key, _, rest = line.strip().partition(" ")
            if key == "ready":
                urls = rest.split()
                break
            readings[key] = float(rest)
        connector = aiohttp.TCPConnector(limit=0)
        stats = {"polls": 0, "messages": 0, "errors": 0}
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        ) as session:
            stop = time.monotonic() + seconds + 10
            tasks = [asyncio.create_task(poll_device(session, u, stop, stats)) for u in urls]
            random.shuffle(tasks)
            await asyncio.sleep(10)  # warm-up: every PullPoint created and polling
            cpu0, wall0 = _proc_cpu_s(server.pid), time.monotonic()
            polls0, msgs0 = stats["polls"], stats["messages"]
            await asyncio.sleep(seconds)
            cpu1, wall1 = _proc_cpu_s(server.pid), time.monotonic()
            rss = _proc_rss_mib(server.pid)
            polls, msgs = stats["polls"] - polls0, stats["messages"] - msgs0
            await asyncio.gather(*tasks, return_exceptions=True)
        window = wall1 - wall0
        cpu_pct = 100 * (cpu1 - cpu0) / window
        empty, loaded = readings.get("rss_empty", 0.0), readings.get("rss_loaded", 0.0)
        per_dev = (rss - empty) / devices * 1024
        print(f"devices            {devices} ({'own ports' if own_ports else 'path prefixes'})")
        print(f"window             {window:.1f} s, event per device every {event_every:g} s")
        print(f"polls / s          {polls / window:.1f}  (messages/s {msgs / window:.1f})")
        print(f"errors             {stats['errors']}")
        print(f"server CPU         {cpu_pct:.1f} % of one core")
        print(f"CPU per device     {cpu_pct / devices:.4f} % of one core")
        print(f"server RSS         empty {empty:.1f}, loaded {loaded:.1f}, polled {rss:.1f} MiB")
        print(f"RSS per device     {per_dev:.0f} KiB (polled: subscriptions and connections)")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--event-every", type=float, default=5.0)
    parser.add_argument("--ports", action="store_true", help="one port per device")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.serve:
        asyncio.run(serve(opts.devices, opts.event_every, opts.ports))
    else:
        asyncio.run(drive(opts.devices, opts.seconds, opts.event_every, opts.ports))


if __name__ == "__main__":
    main()
