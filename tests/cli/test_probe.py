"""`callpoint probe` against our device server + the GStreamer media simulator on loopback.

The CLI runs in a worker thread (it calls asyncio.run itself) while this test's loop
serves the device; its stdout and stderr are captured.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from callpoint.cli import main
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost
from callpoint.onvif.server.model import DeviceProfile, MediaProfile
from callpoint.probe import checks
from callpoint.sim.media import MediaServer
from callpoint.sim.media.pipeline import FRAME_RATE_FPS, VIDEO_HEIGHT_PX, VIDEO_WIDTH_PX
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom
from tests.support.peers import GSTREAMER, needs

pytestmark = [pytest.mark.asyncio, needs(GSTREAMER)]

PW_ENV = "CP_TEST_PROBE_PW"


@pytest_asyncio.fixture
async def media() -> AsyncIterator[MediaServer]:
    async with MediaServer() as server:
        yield server


async def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def probe_args(url: str, *extra: str) -> list[str]:
    return ["probe", url, "--user", ADMIN, "--password-env", PW_ENV, "--no-discovery", *extra]


async def test_ready_device_reports_everything_and_exits_0(
    media: MediaServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW_ENV, ADMIN_PW)
    urls = await media.add_camera("gate", "Gate")
    main_profile = MediaProfile(
        "main",
        "Main",
        width=VIDEO_WIDTH_PX,
        height=VIDEO_HEIGHT_PX,
        framerate=FRAME_RATE_FPS,
        stream_uri=urls.rtsp,
        snapshot_uri=urls.snapshot,
        with_ptz=True,
    )
    config = dataclasses.replace(ptz_intercom("gate"), media_profiles=(main_profile,))
    host = DeviceHost()
    try:
        hosted = await host.add(VirtualDevice(config))
        code, out, err = await run_cli(capsys, *probe_args(hosted.device_service_url, "--json"))
    finally:
        await host.close()
    report: dict[str, Any] = json.loads(out)
    assert code == 0, report["problems"]
    assert report["ready"] and report["problems"] == []
    assert (report["manufacturer"], report["serial"]) == ("callpoint", "SN-0001")
    assert report["verified_profiles"] == {
        # AccessControl answers, but the device rightly does not claim Profile A.
        "A": "answers, not declared",
        "C": "declared, answers",
        "S": "declared, answers",
        "T": "declared, answers",
    }
    assert abs(report["clock_offset_s"]) < 2
    (stream,) = report["streams"]
    assert (stream["codec"], stream["width"], stream["height"]) == ("h264", 640, 360)
    assert stream["frames"] > 0 and stream["fps"] == pytest.approx(FRAME_RATE_FPS, rel=0.3)
    (snapshot,) = report["snapshots"]
    assert snapshot["jpeg"] and snapshot["size_bytes"] > 1000
    assert report["mapped_topics"]["tns1:Device/Trigger/DigitalInput"] == "input_active"
    assert report["pullpoint_messages"] >= 1  # the Initialized input states
    assert report["digital_inputs"] == ["call-button", "tamper"]
    assert report["relays"] == ["door-relay"] and report["doors"] == ["door-1"]
    assert report["ptz_presets"] == {"main": ["1:Gate", "2:Fence"]}
    assert report["backchannel"]["rtsp_offered"] is False
    assert {(p["purpose"], p["open"]) for p in report["ports"]} == {
        ("ONVIF HTTP", True),
        ("RTSP", True),
        ("snapshot HTTP", True),
    }
    # Progress went to stderr, step by step, while stdout holds only the report.
    assert "[ 1/11] reaching" in err and "[11/11] ports" in err
    assert ADMIN_PW not in out + err


async def test_device_that_overstates_itself_gets_a_problem_list_and_exit_1(
    media: MediaServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW_ENV, ADMIN_PW)
    urls = await media.add_camera("gate", "Gate")
    claims_hd = MediaProfile(
        "main",
        "Main",
        width=1920,
        height=1080,
        stream_uri=urls.rtsp,
        snapshot_uri=urls.snapshot,
        with_audio_output=True,
    )
    dead = MediaProfile("sub", "Sub", stream_uri="rtsp://127.0.0.1:9/none", snapshot_uri="")
    config = dataclasses.replace(
        ptz_intercom("gate"),
        media_profiles=(claims_hd, dead),
        profiles=(DeviceProfile.S, DeviceProfile.G),
    )
    host = DeviceHost()
    try:
        hosted = await host.add(VirtualDevice(config))
        code, out, _ = await run_cli(capsys, *probe_args(hosted.device_service_url))
    finally:
        await host.close()
    assert code == 1
    assert "stream main is 640x360, profile says 1920x1080" in out
    assert "stream sub (rtsp://127.0.0.1:9/none) does not play" in out
    assert "declares Profile G but its services do not answer" in out
    assert "RTSP offers no backchannel" in out
    assert "RTSP port 127.0.0.1:9 does not accept connections" in out
    assert "answers like Profile T without declaring it" in out


async def test_wrong_password_is_one_clear_problem(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW_ENV, "wrong")
    host = DeviceHost()
    try:
        hosted = await host.add(VirtualDevice(ptz_intercom("gate")))
        code, out, _ = await run_cli(capsys, *probe_args(hosted.device_service_url, "--json"))
    finally:
        await host.close()
    report = json.loads(out)
    assert code == 1 and not report["reached"]
    (problem,) = report["problems"]
    assert "not usable" in problem and "NotAuthorized" in problem


async def test_password_is_never_taken_from_the_command_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PW_ENV, raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["probe", "127.0.0.1:1", "--user", ADMIN, "--password", "x"])
    assert exited.value.code == 2
    code, _, err = await run_cli(capsys, "probe", "127.0.0.1:1", "--user", ADMIN)
    assert code == 2 and "--password-env" in err
    code, _, err = await run_cli(capsys, *probe_args("127.0.0.1:1"))
    assert code == 2 and f"{PW_ENV} is not set" in err


async def test_clock_an_hour_off_is_a_problem_but_does_not_stop_the_probe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW_ENV, ADMIN_PW)
    host = DeviceHost()
    ahead = VirtualDevice(
        ptz_intercom("gate"), clock=lambda: datetime.now(UTC) + timedelta(hours=1)
    )
    try:
        hosted = await host.add(ahead)
        args = probe_args(hosted.device_service_url, "--json", "--stream-seconds", "0.5")
        code, out, _ = await run_cli(capsys, *args)
    finally:
        await host.close()
    report = json.loads(out)
    assert code == 1 and report["reached"]  # UsernameToken was corrected by the offset
    assert report["clock_offset_s"] == pytest.approx(3600, abs=2)
    assert any(p.startswith("device clock is +3") and "NTP" in p for p in report["problems"])
    assert report["relays"] == ["door-relay"]  # later steps still ran


async def test_snapshot_on_another_host_gets_no_credentials(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A camera naming another host for its stills does not get that host its password
    (issue 11, defect 5): the probe asks without credentials and says why."""
    monkeypatch.setenv(PW_ENV, ADMIN_PW)
    seen: list[str] = []

    async def still(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})

    app = web.Application()
    app.router.add_get("/snap.jpg", still)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.2", 0)
    await site.start()
    port = runner.addresses[0][1]
    profile = MediaProfile(
        "main",
        "Main",
        stream_uri="rtsp://127.0.0.1:9/none",
        snapshot_uri=f"http://127.0.0.2:{port}/snap.jpg",
    )
    host = DeviceHost()
    try:
        config = dataclasses.replace(ptz_intercom("gate"), media_profiles=(profile,))
        hosted = await host.add(VirtualDevice(config))
        code, out, _ = await run_cli(capsys, *probe_args(hosted.device_service_url))
    finally:
        await host.close()
        await runner.cleanup()
    assert code == 1 and seen == [""]
    assert (
        "snapshot main is on another host than the device: credentials withheld "
        f"(http://127.0.0.2:{port}/snap.jpg)" in out
    )
    assert f"snapshot main (http://127.0.0.2:{port}/snap.jpg): HTTP 401, not a JPEG" in out


async def test_basic_challenge_over_http_is_not_answered() -> None:
    seen: list[str] = []

    async def still(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})

    app = web.Application()
    app.router.add_get("/snap.jpg", still)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/snap.jpg"
            got = await checks.fetch_snapshot(http, "main", url, ADMIN, ADMIN_PW)
    finally:
        await runner.cleanup()
    assert seen == [""] and got.error == checks.BASIC_OVER_HTTP
