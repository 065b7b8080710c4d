"""`python -m callpoint.onvif.server`: devices start, print their JSON lines, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import pytest

from callpoint.onvif.namespaces import TDS, TT
from tests.onvif.server.soapcall import call, element

pytestmark = pytest.mark.asyncio


async def test_command_line_serves_devices_until_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callpoint.onvif.server",
            "--kind",
            "ptz_camera",
            "--count",
            "2",
            "--password",
            "cli-pass",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [json.loads(await asyncio.to_thread(proc.stdout.readline)) for _ in range(2)]
        assert [line["kind"] for line in lines] == ["ptz_camera", "ptz_camera"]
        assert lines[0]["onvif"].startswith("http://127.0.0.1:")
        assert lines[0]["onvif"].endswith("/onvif/device_service")
        for line in lines:
            answer = await call(
                line["onvif"], element(TDS, "GetHostname"), line["username"], line["password"]
            )
            assert answer.body.findtext(f".//{{{TT}}}Name") == line["id"]
        info = await call(lines[1]["onvif"], element(TDS, "GetDeviceInformation"), "admin", "x")
        assert info.status == 400  # wrong password
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 10) == 0
        if proc.stdout is not None:
            proc.stdout.close()
