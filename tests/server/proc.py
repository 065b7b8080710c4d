"""`callpoint serve` as a real child process, for signals and kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from tests.conftest import API_TOKEN, WEBHOOK_SECRET

READY = "callpoint ready on "


class ServerProcess:
    """Starts `callpoint serve` on 127.0.0.1:0 and reads its URL from stdout.

    Asynchronous throughout: the tests drive it from their event loop, which must not wait
    on a pipe or a process.
    """

    def __init__(self, config: Path, db: Path, log: Path) -> None:
        self.config, self.db, self.log = config, db, log
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self, timeout: float = 20.0) -> ServerProcess:
        env = {
            **os.environ,
            "CALLPOINT_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CALLPOINT_API_TOKEN": API_TOKEN,
            "PYTHONUNBUFFERED": "1",
        }
        args = [
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
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=err, env=env
            )
        assert self.proc.stdout is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while line := (await self.proc.stdout.readline()).decode():
                    if line.startswith(READY):
                        self.url = line[len(READY) :].strip()
                        return self
        await self.stop()
        raise RuntimeError(f"server did not start; see {self.log}: {self.log.read_text()[-2000:]}")

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        await asyncio.wait_for(self.proc.wait(), 10)

    async def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await asyncio.wait_for(self.proc.wait(), 10)
        return self.proc.returncode
