"""Store benchmark: durable writes/s and commit latency.

Each write is one realistic engine step: an event, its incident (upsert) and three
planned actions. Two modes:
- closed loop (default): N concurrent writers, each writing again as soon as its last
  write returned; shows the ceiling.
- open loop (`--rates 500,1000,2000`): writes arrive at a fixed rate whatever the store
  does, as webhook requests would; shows latency at a given load.
Run: .venv/bin/python bench/store_bench.py [--sync FULL] [--seconds 3] [--rates ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests import factories as f  # noqa: E402

from callpoint.model import ActionKind  # noqa: E402
from callpoint.store.base import Write  # noqa: E402
from callpoint.store.sqlite import SqliteStore, Synchronous  # noqa: E402


def _step(n: int) -> Write:
    ev = f.event(n)
    inc = f.incident()
    acts = [
        f.action(event_id=ev.id, incident_id=inc.id, kind=k)
        for k in (ActionKind.PRESET, ActionKind.RECORD, ActionKind.POPUP)
    ]
    return Write(event=ev, incident_id=inc.id, incidents=[inc], actions=acts)


async def run(path: Path, sync: Synchronous, concurrency: int, seconds: float) -> str:
    store = SqliteStore(path, synchronous=sync)
    await store.open()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def writer(k: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            w = _step(k * 1_000_000 + n)
            t = time.perf_counter()
            await store.write(w)
            latencies.append(time.perf_counter() - t)
            n += 1

    start = time.perf_counter()
    await asyncio.gather(*(writer(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - start
    writer_stats = store._writer
    await store.close()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    per_batch = writer_stats.operations / writer_stats.batches if writer_stats else 0.0
    return (
        f"{sync:6} {concurrency:5d} {len(latencies) / elapsed:10.0f} {p50:9.2f} {p99:9.2f}"
        f" {per_batch:10.1f}"
    )


async def run_rate(path: Path, sync: Synchronous, rate: int, seconds: float) -> str:
    store = SqliteStore(path, synchronous=sync)
    await store.open()
    latencies: list[float] = []
    total = int(rate * seconds)
    steps = [_step(n) for n in range(total)]  # built beforehand: measure the store only
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []

    async def one(w: Write, due: float) -> None:
        await store.write(w)
        latencies.append(loop.time() - due)  # from the arrival it was scheduled for

    start = loop.time()
    for n, w in enumerate(steps):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(w, due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    await store.close()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return f"{sync:6} {rate:7d} {total / elapsed:10.0f} {p50:9.2f} {p99:9.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sync", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", default="1,10,50,200,500")
    parser.add_argument("--rates", default="", help="open loop at these writes/s instead")
    args = parser.parse_args()
    if args.rates:
        print(f"{'sync':6} {'rate/s':>7} {'writes/s':>10} {'p50 ms':>9} {'p99 ms':>9}")
        for rate in (int(x) for x in args.rates.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                line = asyncio.run(run_rate(Path(tmp) / "bench.db", args.sync, rate, args.seconds))
            print(line, flush=True)
        return
    print(f"{'sync':6} {'conc':>5} {'writes/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'ops/batch':>10}")
    for c in (int(x) for x in args.concurrency.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            line = asyncio.run(run(Path(tmp) / "bench.db", args.sync, c, args.seconds))
        print(line, flush=True)


if __name__ == "__main__":
    main()
