"""Interop with ipycam, an ONVIF camera we did not write, inside a network namespace.

ipycam multicasts a WS-Discovery Hello when it starts, so it runs in a namespace this
test creates (loopback only), and the client runs there too (``ip netns exec``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.peers import IPYCAM, NETNS, needs

PORT = 18080
USER, PASSWORD = "admin", "s3cret"
PROBE = Path(__file__).with_name("ipycam_probe.py")

pytestmark = needs(IPYCAM, NETNS)


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"cp-ipycam-{os.getpid()}"
    made = _ip("netns", "add", name)
    assert made.returncode == 0, made.stderr
    try:
        assert _ip("netns", "exec", name, "ip", "link", "set", "lo", "up").returncode == 0
        yield name
    finally:
        _ip("netns", "del", name)


@pytest.fixture
def ipycam(netns: str, tmp_path: Path) -> Iterator[str]:
    cfg = tmp_path / "camera.json"
    cfg.write_text(
        json.dumps(
            {
                "local_ip": "127.0.0.1",
                "onvif_port": PORT,
                "username": USER,
                "password": PASSWORD,
                "main_width": 320,
                "main_height": 240,
                "main_fps": 1,
            }
        )
    )
    log = (tmp_path / "ipycam.log").open("wb")
    cmd = [
        "ip",
        "netns",
        "exec",
        netns,
        sys.executable,
        "-m",
        "ipycam",
        "--config",
        str(cfg),
        "--source",
        "video",
        "--fps",
        "1",
        "--width",
        "320",
        "--height",
        "240",
    ]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        yield netns
    finally:
        proc.terminate()  # `ip netns exec` execs the interpreter: this is ipycam itself
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def test_client_against_ipycam(ipycam: str) -> None:
    run = subprocess.run(
        ["ip", "netns", "exec", ipycam, sys.executable, str(PROBE), str(PORT), USER, PASSWORD],
        capture_output=True,
        text=True,
        timeout=45,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    # ipycam demands credentials even for GetSystemDateAndTime: connect() coped.
    assert abs(out["offset_s"]) < 5
    assert "http://www.onvif.org/ver10/media/wsdl" in out["services"]
    assert out["manufacturer"] == "PythonCam"
    assert out["profiles"] == ["Profile_Main", "Profile_Sub"]
    assert out["stream_uri"].startswith("rtsp://127.0.0.1:")
    assert "onvif://www.onvif.org/Profile/Streaming" in out["scopes"]
    assert out["snapshot"].endswith("/snapshot.jpg")
    # ipycam's PTZ replies use undeclared prefixes: a clear RemoteProtocolError, no crash.
    for name in ("presets", "status"):
        kind, message = out[name + "_error"]
        assert kind == "RemoteProtocolError"
        assert "prefix" in message and "not defined" in message
    assert out["wrong_password"] == "NotAuthorizedFault"
