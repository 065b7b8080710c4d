"""One callpoint process keeping N devices' PullPoints alive (the ONVIF events ingress).

Usage: python bench/onvif_pullpoint_bench.py [--devices 2000] [--seconds 90]
       [--lifetime 60] [--pull-timeout 20] [--event-every 60] [--jitter 20]

Our ONVIF device server runs in a child process hosting every device on its own loopback
port (each camera is its own host on a real site, so each gets its own keep-alive
connection). This process is callpoint: `OnvifEventIngress` with one shared HTTP pool,
bounded set-ups and jittered starts, a sink counting what it would submit. The device
server toggles one device's digital input at a time, each device every --event-every
seconds. Printed: time until every PullPoint is up, this process's CPU (% of one core)
and RSS while steady (renewals included), per device, and whether every toggle arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from callpoint.ingress.contract import RawEvent  # noqa: E402
from callpoint.ingress.onvif_events import OnvifEventIngress  # noqa: E402
from callpoint.ingress.onvif_lifecycle import SubscriptionState  # noqa: E402
from callpoint.ingress.onvif_subscription import OnvifTarget, SubscriptionSettings  # noqa: E402
from callpoint.model import Event, EventType, new_id  # noqa: E402
from callpoint.onvif.eventmap import DEFAULT_RULES  # noqa: E402

USER, PASSWORD = "admin", "bench-pass"


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- the device side (child process) ----------------------------------------------------


async def serve(devices: int, event_every: float) -> None:
    from callpoint.onvif.server.device import VirtualDevice
    from callpoint.onvif.server.host import DeviceHost
    from callpoint.onvif.server.model import (
        DeviceConfig,
        DeviceIdentity,
        DeviceUser,
        DigitalInputConfig,
        MediaProfile,
    )

    host = DeviceHost()
    hosted = []
    for i in range(devices):
        config = DeviceConfig(
            device_id=f"d{i}",
            identity=DeviceIdentity("callpoint", "Bench", "1", f"SN{i}", "HW"),
            users=(DeviceUser(USER, PASSWORD),),
            media_profiles=(MediaProfile("main", "Main", stream_uri=f"rtsp://127.0.0.1/d{i}"),),
            inputs=(DigitalInputConfig("in1"),),
        )
        device = VirtualDevice(config)
        hosted.append((device, await host.add(device, port=0)))
    print("ready " + " ".join(h.device_service_url for _, h in hosted), flush=True)
    toggling = asyncio.Event()
    sent = 0

    async def toggle() -> None:
        nonlocal sent
        state = [False] * devices
        tick = event_every / devices
        i = 0
        while True:
            await toggling.wait()
            await asyncio.sleep(tick)
            state[i] = not state[i]
            hosted[i][0].set_input("in1", state[i])
            sent += 1
            i = (i + 1) % devices

    task = asyncio.create_task(toggle())
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "start":
            toggling.set()
        elif line == "stop":
            toggling.clear()
        elif line == "count":
            print(f"sent {sent}", flush=True)
    task.cancel()
    await host.close()


# --- the callpoint side -----------------------------------------------------------------


class Counter:
    """An event sink that counts: the devices are not in any site, so it normalises
    them itself (location BENCH)."""

    def __init__(self) -> None:
        self.inputs = 0
        self.faults = 0

    def normalise(self, raw: RawEvent, received_at: datetime) -> Event:
        return Event(
            id=new_id(),
            device_id=raw.device_id,
            location="BENCH",
            type=EventType(raw.type),
            device_time=raw.device_time or received_at,
            received_at=received_at,
            source=raw.source,
            attributes=raw.attributes,
        )

    async def submit_event(self, event: Event) -> None:
        if event.type in (EventType.INPUT_ACTIVE, EventType.INPUT_INACTIVE):
            self.inputs += 1
        elif event.type is EventType.FAULT:
            self.faults += 1


async def ask(server: subprocess.Popen[str], command: str) -> str:
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(command + "\n")
    server.stdin.flush()
    if command != "count":
        return ""
    return await asyncio.to_thread(server.stdout.readline)


async def drive(opts: argparse.Namespace) -> None:
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--devices",
            str(opts.devices),
            "--event-every",
            str(opts.event_every),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = await asyncio.to_thread(server.stdout.readline)
        urls = line.split()[1:]
        me = os.getpid()
        rss0 = proc_rss_mib(me)
        targets = [
            OnvifTarget(f"d{i}", "BENCH", url, USER, PASSWORD, DEFAULT_RULES)
            for i, url in enumerate(urls)
        ]
        settings = SubscriptionSettings(
            lifetime_s=opts.lifetime,
            pull_timeout_s=opts.pull_timeout,
            start_jitter_s=opts.jitter,
        )
        sink = Counter()
        ingress = OnvifEventIngress(targets, sink, settings=settings)
        cpu_start, t_start = proc_cpu_s(me), time.monotonic()
        await ingress.start()
        while sum(w.healthy for w in ingress.workers.values()) < len(targets):
            await asyncio.sleep(0.2)
            if time.monotonic() - t_start > 600:
                raise SystemExit("devices did not all come up in 600 s")
        ramp_s = time.monotonic() - t_start
        ramp_cpu = proc_cpu_s(me) - cpu_start
        await ask(server, "start")
        await asyncio.sleep(2)
        renewals0 = sum(w.renewals for w in ingress.workers.values())
        cpu0, t0, dev_cpu0 = proc_cpu_s(me), time.monotonic(), proc_cpu_s(server.pid)
        await asyncio.sleep(opts.seconds)
        cpu1, t1, dev_cpu1 = proc_cpu_s(me), time.monotonic(), proc_cpu_s(server.pid)
        rss1 = proc_rss_mib(me)
        renewals = sum(w.renewals for w in ingress.workers.values()) - renewals0
        await ask(server, "stop")
        await asyncio.sleep(opts.pull_timeout + 3)  # every long poll has answered since
        sent = int((await ask(server, "count")).split()[1])
        healthy = sum(w.healthy for w in ingress.workers.values())
        errors = ingress.transitions[SubscriptionState.ERROR]
        await ingress.stop()
        window = t1 - t0
        cpu_pct = 100 * (cpu1 - cpu0) / window
        print(f"devices              {len(targets)} (each on its own port)")
        print(f"lifetime / pull      {opts.lifetime:g} s / {opts.pull_timeout:g} s long poll")
        print(
            f"all PullPoints up in {ramp_s:.1f} s (start jitter {opts.jitter:g} s), "
            f"CPU {ramp_cpu:.1f} s"
        )
        print(f"steady window        {window:.1f} s, {renewals} renewals")
        print(
            f"callpoint CPU        {cpu_pct:.1f} % of one core "
            f"({cpu_pct / len(targets):.4f} % per device)"
        )
        print(f"device server CPU    {100 * (dev_cpu1 - dev_cpu0) / window:.1f} % of one core")
        print(
            f"callpoint RSS        {rss0:.1f} MiB before, {rss1:.1f} MiB steady "
            f"({(rss1 - rss0) * 1024 / len(targets):.1f} KiB per device)"
        )
        print(
            f"events               {sent} toggled, {sink.inputs} submitted, "
            f"{'none lost' if sink.inputs == sent else 'MISMATCH'}"
        )
        print(f"errors / faults      {errors} / {sink.faults}; healthy at end {healthy}")
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--lifetime", type=float, default=60.0)
    parser.add_argument("--pull-timeout", type=float, default=20.0)
    parser.add_argument("--event-every", type=float, default=60.0)
    parser.add_argument("--jitter", type=float, default=20.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        run = asyncio.run
    else:
        run = uvloop.run
    if opts.serve:
        run(serve(opts.devices, opts.event_every))
    else:
        run(drive(opts))


if __name__ == "__main__":
    main()
