"""Signed webhooks at stepped rates against a real `callpoint serve` on loopback.

Latency is measured per request from send to the 202, which the server gives only after
the event, its incident changes and its planned actions are committed to SQLite: it is
"request to planned actions". Open loop: requests leave on schedule whether or not earlier
ones have been answered, so a slow server shows up as latency, not as a politely lower rate.

    python bench/webhook_bench.py [--rates 250,500,1000,2000,3000] [--seconds 5]
        [--consoles 0-3] [--threads] [--wrk CONNECTIONS]

The open-loop client is a small asyncio protocol on uvloop with pre-signed requests, so
it takes little of the CPU it shares with the server. Besides latency it prints the
server's CPU per event, all threads and the event-loop thread alone (the one that must
not saturate); BENCH_PROFILE=FILE runs the server under cProfile.

Bounded: every step stops by itself after --seconds; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now

SECRET = "whsec_" + base64.b64encode(b"bench-secret-0123456789abcdef").decode()
TOKEN = "bench-token-0123456789"  # at least 16 characters (config)
PHONES = 2000
POSTS = 1000
TYPES = ("off_hook", "call_connected", "sos", "sos_cleared", "call_ended", "tamper")
MIX = "interleaved"  # or "phased" (--mix)


def event_type(n: int) -> str:
    """The type of the n-th event. Every phone goes through TYPES in order, one step per
    round of all phones. Interleaved: each phone starts at its own step, so any short
    window holds every type in equal parts. Phased: all phones take the same step, so the
    stream is 2,000 off-hooks, then 2,000 connects, then 2,000 SOS... (a second each at
    2,000/s: shows the costliest type's own limit)."""
    phone = n % PHONES
    offset = 0 if MIX == "phased" else phone % len(TYPES)
    return TYPES[(n // PHONES + offset) % len(TYPES)]


def site_yaml(phones: int, posts: int) -> str:
    """A site with `posts` call posts sharing PTZ cameras, `phones` phones among them."""
    lines = [
        "site: {name: Bench}",
        "server: {api_tokens: [{name: bench, token: {env: CALLPOINT_API_TOKEN}}]}",
        "webhook: {secret: {env: CALLPOINT_WEBHOOK_SECRET}}",
        "engine: {duplicate_window_s: 0}",  # every event takes the full path
        "consoles: [{name: dispatch}, {name: supervisor}, {name: wall}]",
        "escalation: {chain: [supervisor, wall]}",
        "cameras:",
    ]
    for c in range(posts // 4 + 1):
        lines.append(f"  - {{id: PTZ-{c}, kind: ptz, presets: {{1: Home, 2: Post, 3: Wide}}}}")
        lines.append(f"  - {{id: FIX-{c}, kind: fixed}}")
    lines.append("locations:")
    for p in range(posts):
        c = p // 4
        lines.append(
            f"  - {{tag: POST-{p}, cameras: [PTZ-{c}, FIX-{c}], presets: {{PTZ-{c}: 2}}, "
            f"sos_presets: {{PTZ-{c}: 3}}, consoles: [dispatch]}}"
        )
    lines.append("devices:")
    for d in range(phones):
        lines.append(f"  - {{id: PH-{d}, kind: phone, location: POST-{d % posts}}}")
    lines += [
        "rules:",
        "  - {name: off-hook, on: [off_hook], priority: 10, ack_timeout_s: 120, actions: ["
        "{do: preset}, {do: show}, {do: record, cameras: 2}, {do: popup}]}",
        "  - {name: connected, on: [call_connected], marks_live: true,"
        " actions: [{do: show, cameras: 4}]}",
        "  - {name: ended, on: [call_ended], opens_incident: false,"
        " clears: [off_hook, call_connected, tamper]}",
        "  - {name: sos, on: [sos], priority: 90, ack_timeout_s: 30, actions: ["
        "{do: preset, cameras: all, emergency: true}, {do: record, forced: true, bookmark: SOS},"
        " {do: popup, consoles: [dispatch, supervisor]}]}",
        "  - {name: sos-cleared, on: [sos_cleared], opens_incident: false, clears: [sos]}",
        "  - {name: tamper, on: [tamper], priority: 50, actions: [{do: record}, {do: popup}]}",
    ]
    return "\n".join(lines) + "\n"


def start_server(workdir: Path) -> tuple[subprocess.Popen[str], str]:
    config = workdir / "site.yaml"
    config.write_text(site_yaml(phones=PHONES, posts=POSTS))
    env = {
        **os.environ,
        "CALLPOINT_WEBHOOK_SECRET": SECRET,
        "CALLPOINT_API_TOKEN": TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            # BENCH_PROFILE=FILE runs the server under cProfile (written when it stops).
            *(
                ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
                if "BENCH_PROFILE" in os.environ
                else []
            ),
            "-m",
            "callpoint.cli",
            "serve",
            "--config",
            str(config),
            "--db",
            str(workdir / "bench.db"),
            "--listen",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=(workdir / "server.log").open("w"),
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("callpoint ready on "):
            return proc, line.split()[-1]
    raise SystemExit(f"server did not start: {(workdir / 'server.log').read_text()[-2000:]}")


def speed_probe() -> float:
    """ms for a fixed pure-Python loop, best of three: this VM's speed drifts by 15-30 %
    from minute to minute, and the figures of a run are only comparable at equal speed."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        table: dict[int, int] = {}
        for i in range(500_000):
            table[i & 1023] = i * 2
        best = min(best, time.perf_counter() - started)
    return best * 1000


def cpu_seconds(pid: int, stat: str = "") -> float:
    """User+system CPU time of a process (or of one of its threads), from /proc."""
    fields = Path(stat or f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main_thread_cpu_seconds(pid: int) -> float:
    """CPU time of the server's event-loop thread alone (the one that must not saturate)."""
    return cpu_seconds(pid, f"/proc/{pid}/task/{pid}/stat")


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU time of each of the server's threads, by thread name (same names summed)."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            out[name] = out.get(name, 0.0) + cpu_seconds(pid, str(task / "stat"))
        except OSError:
            continue  # the thread ended
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class _Client(asyncio.Protocol):
    """One kept-alive connection of the open-loop client: one request at a time."""

    def __init__(self, done: Callable[[_Client, int], None]) -> None:
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.sent_at = 0.0
        self.uses = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, data: bytes) -> None:
        self.sent_at = time.perf_counter()
        self.uses += 1
        assert self.transport is not None
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buf[:end]
        m = _LENGTH.search(head)
        length = int(m.group(1)) if m else 0
        if len(self.buf) < end + 4 + length:
            return
        self.buf = self.buf[end + 4 + length :]
        self.done(self, int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


PRE_OPENED = 256  # connections opened before a step, so that connecting is not measured
_LENGTH = re.compile(rb"(?i)content-length:\s*(\d+)")


def raw_request(host: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"POST /api/v1/events HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def step(url: str, rate: int, seconds: float, seq0: int) -> dict[str, float]:
    """Send `rate` events/s for `seconds`; returns throughput and latency figures.

    The client is a small asyncio protocol with pre-signed, pre-encoded requests, so its
    own CPU (which shares the machine's two cores with the server) stays small. Requests
    due within the same millisecond leave together. A request due while every open
    connection is busy opens another, up to 512; beyond that it waits for one (a server
    that slow shows as latency of about 512 / rate seconds).
    """
    total = int(rate * seconds)
    host = url.split("//", 1)[1]
    ip, port = host.rsplit(":", 1)
    requests = []
    now = utc_now()
    for i in range(total):
        n = seq0 + i
        body = event_body(f"PH-{n % PHONES}", event_type(n), now)
        requests.append(raw_request(host, body, signed_headers(SECRET, body, now, msg_id=f"b{n}")))
    latencies: list[float] = []
    errors = 0
    idle: list[_Client] = []
    finished = asyncio.Event()
    # The client's own hiccups would show as server latency: measure them. Its garbage
    # (10,000s of requests and results) is frozen out of the collector's walks.
    gc.collect()
    gc.freeze()
    stall_max = 0.0

    async def watch_stalls() -> None:
        nonlocal stall_max
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.002)
            stall_max = max(stall_max, time.perf_counter() - before - 0.002)

    watcher = asyncio.create_task(watch_stalls())
    freed = asyncio.Event()  # a connection came back (no polling: the client must be light)
    answered = 0
    loop = asyncio.get_running_loop()
    # BENCH_TIMELINE=FILE appends a line per answered request, to find stalls: rate, send
    # time from the step's start, latency (ms), send time on the monotonic clock (the
    # server's perf_counter), and the request's number on its connection (1: a new one).
    timeline: list[tuple[float, float, int]] | None = None
    if os.environ.get("BENCH_TIMELINE"):
        timeline = []
    start = time.perf_counter()

    def done(client: _Client, status: int) -> None:
        nonlocal errors, answered
        answered += 1
        if status == 202:
            latencies.append((time.perf_counter() - client.sent_at) * 1000)
            if timeline is not None:
                timeline.append((client.sent_at, latencies[-1], client.uses))
        else:
            errors += 1
        idle.append(client)
        freed.set()
        if answered == total:
            finished.set()

    async def connect() -> _Client:
        _, client = await loop.create_connection(lambda: _Client(done), ip, int(port))
        return client

    idle.extend(await asyncio.gather(*(connect() for _ in range(PRE_OPENED))))
    opened = len(idle)
    start = time.perf_counter()
    for i, data in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0.001:  # what is due within a millisecond leaves together
            await asyncio.sleep(delay)
        while not idle and opened >= 512:
            freed.clear()
            await freed.wait()
        if idle:
            client = idle.pop()
        else:
            client = await connect()
            opened += 1
        client.send(data)
    try:
        await asyncio.wait_for(finished.wait(), timeout=30)
    except TimeoutError:
        errors += total - answered
    elapsed = time.perf_counter() - start
    watcher.cancel()
    if timeline is not None:
        with Path(os.environ["BENCH_TIMELINE"]).open("a") as out:
            out.writelines(
                f"{rate} {t - start:.4f} {ms:.2f} {t:.6f} {uses}\n" for t, ms, uses in timeline
            )
    for c in idle:
        if c.transport is not None:
            c.transport.close()
    return {
        "offered": rate,
        "achieved": len(latencies) / elapsed,
        "p50": pct(latencies, 50),
        "p99": pct(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
        "errors": errors,
        "sent": total,
        "client_stall_ms": stall_max * 1000,
    }


def run_wrk(url: str, seconds: float, connections: int, requests: int) -> str:
    """Closed loop at full speed with wrk (C, light on the CPU we share), pre-signed requests."""
    lua = Path(__file__).with_name("webhook_wrk.lua")
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        now = utc_now()
        for n in range(requests):
            body = event_body(f"PH-{n % PHONES}", event_type(n), now)
            h = signed_headers(SECRET, body, now, msg_id=f"w{n}")
            f.write(f"{h['webhook-id']}\t{h['webhook-timestamp']}\t{h['webhook-signature']}\t")
            f.write(body.decode() + "\n")
        path = f.name
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds:.0f}s",
                "--latency",
                "-s",
                str(lua),
                url,
                "--",
                path,
                "2",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 60,
        )
    finally:
        Path(path).unlink()
    return done.stdout + done.stderr


async def consoles(url: str, stop: asyncio.Event, names: tuple[str, ...]) -> int:
    """Three operator screens on the live stream, as in a control room; returns bytes read."""
    got = 0
    async with aiohttp.ClientSession() as http:

        async def screen(name: str) -> None:
            nonlocal got
            params = {"console": name, "access_token": TOKEN}
            async with http.get(f"{url}/api/v1/stream", params=params) as r:
                while not stop.is_set():
                    chunk = await r.content.readany()
                    if not chunk:
                        return
                    got += len(chunk)

        tasks = [asyncio.create_task(screen(n)) for n in names]
        await stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return got


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="250,500,1000,2000,3000")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pid-file", help="write the server's pid here (for a profiler)")
    parser.add_argument(
        "--wrk",
        type=int,
        default=0,
        metavar="CONNECTIONS",
        help="also run wrk closed-loop with this many connections (0: skip)",
    )
    parser.add_argument(
        "--consoles", type=int, default=3, choices=range(4), help="console streams (0-3)"
    )
    parser.add_argument(
        "--threads", action="store_true", help="print each server thread's share of a core"
    )
    parser.add_argument(
        "--mix",
        choices=("interleaved", "phased"),
        default="interleaved",
        help="event types mixed evenly in time (default), or a phase of each type in turn",
    )
    args = parser.parse_args()
    global MIX  # read by event_type while requests are built
    MIX = args.mix
    with tempfile.TemporaryDirectory(prefix="cp-bench-") as tmp:
        proc, url = start_server(Path(tmp))
        if args.pid_file:
            Path(args.pid_file).write_text(str(proc.pid))
            await asyncio.sleep(2.0)
        try:
            print(f"speed probe before: {speed_probe():.0f} ms (lower is faster)")
            print(
                f"server {url}; {PHONES} phones, {POSTS} posts; duplicate window 0; "
                f"SQLite WAL NORMAL; {args.consoles} consoles connected; {args.mix} types"
            )
            print(
                f"{'offered/s':>10} {'achieved/s':>11} {'p50 ms':>8} {'p99 ms':>8} "
                f"{'max ms':>8} {'errors':>7} {'CPU ms/event':>12} {'loop thread':>11} "
                f"{'client CPU':>10} {'client stall':>12}"
            )
            stop = asyncio.Event()
            names = ("dispatch", "supervisor", "wall")[: args.consoles]
            screens = asyncio.create_task(consoles(url, stop, names))
            await asyncio.sleep(0.5)
            seq = 0
            for rate in (int(r) for r in args.rates.split(",")):
                cpu0, main0 = cpu_seconds(proc.pid), main_thread_cpu_seconds(proc.pid)
                own0 = cpu_seconds(os.getpid())
                threads0 = thread_cpu_seconds(proc.pid)
                r = await step(url, rate, args.seconds, seq)
                cpu = cpu_seconds(proc.pid) - cpu0
                main = main_thread_cpu_seconds(proc.pid) - main0
                own = cpu_seconds(os.getpid()) - own0
                threads = thread_cpu_seconds(proc.pid)
                busy = {k: v - threads0.get(k, 0.0) for k, v in threads.items()}
                seq += int(r["sent"])
                per_event_ms = cpu / max(1, r["sent"] - r["errors"]) * 1000
                main_ms = main / max(1, r["sent"] - r["errors"]) * 1000
                print(
                    f"{r['offered']:>10.0f} {r['achieved']:>11.0f} {r['p50']:>8.2f} "
                    f"{r['p99']:>8.2f} {r['max']:>8.1f} {r['errors']:>7.0f} "
                    f"{per_event_ms:>12.3f} {main_ms:>11.3f} {own / args.seconds:>10.0%} "
                    f"{r['client_stall_ms']:>9.1f} ms",
                    flush=True,
                )
                if args.threads:
                    span = args.seconds
                    print(
                        "           threads, share of a core: "
                        + ", ".join(f"{k} {v / span:.0%}" for k, v in sorted(busy.items()) if v)
                    )
                await asyncio.sleep(1.0)
            if args.wrk:
                cpu0 = cpu_seconds(proc.pid)
                out = run_wrk(url, args.seconds * 2, args.wrk, int(6000 * args.seconds * 2))
                cpu = cpu_seconds(proc.pid) - cpu0
                print(
                    f"wrk, {args.wrk} connections, {args.seconds * 2:.0f} s "
                    f"(server CPU {cpu:.1f} s):"
                )
                print("\n".join("  " + line for line in out.strip().splitlines()))
            stop.set()
            print(f"{args.consoles} console streams received {await screens / 1e6:.1f} MB")
            print(f"speed probe after: {speed_probe():.0f} ms")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
