"""`callpoint simulate --json` as a process: its lines, its ONVIF devices, `press`, stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.transport import SoapHttp
from callpoint.sim import SimKind
from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET
from tests.support.peers import GSTREAMER, has_peer

pytestmark = pytest.mark.asyncio

# Start-up includes the GStreamer child on a loaded 2-core machine.
READY_TIMEOUT_S = 30.0
KEYS = {"id", "kind", "onvif", "rtsp", "snapshot", "username", "password", "location"}
KEYS |= {"camera", "modbus", "url", "events"}


class Running:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []
        self.ready: dict[str, Any] = {}


@pytest_asyncio.fixture
async def simulate() -> AsyncIterator[Running]:
    env = dict(os.environ, CALLPOINT_WEBHOOK_SECRET=WEBHOOK_SECRET, CALLPOINT_API_TOKEN=API_TOKEN)
    args = ["--json", "--no-webhooks", "--control", "127.0.0.1:0"]
    if not has_peer(GSTREAMER):
        args.append("--no-media")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callpoint.cli",
        "simulate",
        "--config",
        str(EXAMPLE_SITE),
        *args,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    running = Running(proc)
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            assert proc.stdout is not None
            while not running.ready:
                raw = await proc.stdout.readline()
                assert raw, f"simulate exited with {await proc.wait()}"
                line = json.loads(raw)
                if line.get("ready"):
                    running.ready = line
                else:
                    running.lines.append(line)
        yield running
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def test_every_line_parses_and_every_onvif_device_answers(simulate: Running) -> None:
    lines = {line["id"]: line for line in simulate.lines}
    assert simulate.ready["devices"] == len(lines) == 10
    assert {line["kind"] for line in lines.values()} == {k.value for k in SimKind}
    for line in lines.values():
        assert set(line) <= KEYS, line
    onvif = [line for line in lines.values() if "onvif" in line]
    assert {line["kind"] for line in onvif} == {"intercom", "ptz_camera", "camera"}
    async with SoapHttp() as http:
        for line in onvif:
            assert line["username"] and line["password"]
            device = OnvifDevice(line["onvif"], line["username"], line["password"], http=http)
            await device.connect()
            info = await device.device_information()
            assert info.serial_number == f"CP-{line['id']}"
            if has_peer(GSTREAMER):
                assert line["rtsp"].startswith("rtsp://127.0.0.1:")
    assert lines["IO-EAST-01"]["modbus"].startswith("127.0.0.1:")
    assert lines["GATE-INTERCOM-01"]["camera"] == "MAIN-GATE-INTERCOM-CAM"


def _press(control: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callpoint.cli", "press", *args, "--sim-url", control],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


async def test_press_drives_a_device_and_sigterm_stops_it(simulate: Running) -> None:
    control = simulate.ready["control"]
    done = await asyncio.to_thread(_press, control, "IO-EAST-01", "input_active", "--input", "3")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["event"] == "input_active"

    def get(path: str) -> dict[str, Any]:
        with urllib.request.urlopen(control + path, timeout=10) as resp:
            return dict(json.loads(resp.read()))

    io = await asyncio.to_thread(get, "api/io/IO-EAST-01")
    assert io["inputs"][3] is True and io["inputs"].count(True) == 1

    def post(body: dict[str, Any]) -> int:
        req = urllib.request.Request(control + "api/press", json.dumps(body).encode())
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    assert await asyncio.to_thread(post, {"device": "IO-EAST-01", "event": "sos"}) == 400
    assert await asyncio.to_thread(post, {"device": "NOBODY", "event": "sos"}) == 404
    assert await asyncio.to_thread(post, {"device": "IO-EAST-01"}) == 400

    # And a SIGTERM stops it cleanly.
    simulate.proc.send_signal(signal.SIGTERM)
    async with asyncio.timeout(15):
        assert await simulate.proc.wait() == 0
