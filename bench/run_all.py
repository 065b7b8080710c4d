"""Run every benchmark once, one after the other, each bounded in time; print its figures.

    python bench/run_all.py [--only NAME ...]

Benchmarks share the machine with nothing else only if you make it so: figures taken while
other work runs are noisy (see bench/README.md for the conditions of the recorded ones).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES: dict[str, list[str]] = {
    "webhook": ["webhook_bench.py", "--rates", "250,500,1000,2000,3000", "--seconds", "5"],
    "store": ["store_bench.py"],
    "onvif-client": ["onvif_client_bench.py"],
    "onvif-server": ["onvif_server_bench.py", "--devices", "500", "--seconds", "30"],
    "onvif-pullpoint": ["onvif_pullpoint_bench.py"],
    "console-latency": ["console_latency_bench.py", "--cycles", "100"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), default=sorted(BENCHES))
    args = parser.parse_args()
    failed = []
    for name in args.only:
        script, *rest = BENCHES[name]
        extra = HERE / script
        if not extra.exists():
            print(f"== {name}: {script} not present, skipped")
            continue
        print(f"== {name}: {' '.join([script, *rest])}", flush=True)
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, str(extra), *rest], check=False, timeout=1800)
        print(f"== {name}: exit {done.returncode} after {time.monotonic() - t0:.0f} s\n")
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
