"""`callpoint discover`: unicast on loopback by default, multicast only when asked, and
then only inside network namespaces this test creates."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from callpoint.cli import main
from callpoint.onvif import discovery as wsd
from tests.conftest import ROOT
from tests.onvif.discovery.netns import requires_netns, veth_pair
from tests.onvif.discovery.test_multicast_netns import EPR, finish, line

ENDPOINT = wsd.Endpoint(
    address=EPR,
    types=(wsd.NETWORK_VIDEO_TRANSMITTER, wsd.DEVICE),
    scopes=(
        "onvif://www.onvif.org/name/Gate%20intercom",
        "onvif://www.onvif.org/hardware/VI-200",
        "onvif://www.onvif.org/location/MAIN-GATE",
        "onvif://www.onvif.org/Profile/Streaming",
        "onvif://www.onvif.org/Profile/T",
    ),
    xaddrs=("http://127.0.0.1:8080/onvif/device_service",),
)


async def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.asyncio
async def test_unicast_probe_lists_the_device_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    async with wsd.DiscoveryResponder(ENDPOINT, host="127.0.0.1", port=0) as responder:
        host, port = responder.address
        code, out, err = await run_cli(
            capsys, "discover", "--unicast", f"{host}:{port}", "--json", "--timeout", "1"
        )
    assert code == 0
    (device,) = json.loads(out)
    assert device["endpoint"] == EPR
    assert device["xaddrs"] == ["http://127.0.0.1:8080/onvif/device_service"]
    assert (device["name"], device["hardware"]) == ("Gate intercom", "VI-200")
    assert device["locations"] == ["MAIN-GATE"] and device["profiles"] == ["S", "T"]
    assert device["from"] == f"127.0.0.1:{port}"
    assert "1 device(s) answered" in err


@pytest.mark.asyncio
async def test_table_output_names_the_device(capsys: pytest.CaptureFixture[str]) -> None:
    async with wsd.DiscoveryResponder(ENDPOINT, host="127.0.0.1", port=0) as responder:
        host, port = responder.address
        code, out, _ = await run_cli(
            capsys, "discover", "--unicast", f"{host}:{port}", "--timeout", "1"
        )
    assert code == 0
    assert "Gate intercom  [VI-200]  profiles S,T" in out
    assert "http://127.0.0.1:8080/onvif/device_service" in out


@pytest.mark.asyncio
async def test_nobody_answering_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = await run_cli(
        capsys, "discover", "--unicast", "127.0.0.1:9", "--json", "--timeout", "0.5"
    )
    assert (code, json.loads(out)) == (1, [])
    assert "0 device(s) answered" in err


@pytest.mark.asyncio
async def test_without_a_target_nothing_is_sent_and_usage_is_explained(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = await run_cli(capsys, "discover")
    assert code == 2 and "--multicast" in err


@requires_netns
def test_multicast_only_when_asked_inside_namespaces() -> None:
    with veth_pair() as (a, b):
        device = b.popen("respond", "--address", b.address, "--epr", EPR, "--name", "Gate")
        try:
            assert line(device)["ready"]
            cmd = ["ip", "netns", "exec", a.ns, sys.executable, "-m", "callpoint.cli"]
            cmd += ["discover", "--multicast", "--interface", a.address, "--json"]
            run = subprocess.run(
                [*cmd, "--timeout", "2"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
                cwd=ROOT,
            )
            assert run.returncode == 0, run.stderr[-2000:]
            (found,) = json.loads(run.stdout)
            assert found["endpoint"] == EPR and found["from"].startswith(b.address)
            assert finish(device) == [{"stopped": True}]
        finally:
            if device.poll() is None:
                device.kill()
                device.wait()
