"""`callpoint serve` as a real child process, for signals and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import API_TOKEN, WEBHOOK_SECRET

READY = "callpoint ready on "


class ServerProcess:
    """Starts `callpoint serve` on 127.0.0.1:0 and reads its URL from stdout."""

    def __init__(self, config: Path, db: Path, log: Path) -> None:
        self.config, self.db, self.log = config, db, log
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 20.0) -> ServerProcess:
        env = {
            **os.environ,
            "CALLPOINT_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CALLPOINT_API_TOKEN": API_TOKEN,
            "PYTHONUNBUFFERED": "1",
        }
        args = [
            sys.executable,
            "-m",
            "callpoint.cli",
            "serve",
            "--config",
            str(self.config),
            "--db",
            str(self.db),
            "--listen",
            "127.0.0.1:0",
        ]
        with self.log.open("a") as err:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=err, text=True, env=env
            )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith(READY):
                self.url = line[len(READY) :].strip()
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"server did not start; see {self.log}: {self.log.read_text()[-2000:]}")

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode
