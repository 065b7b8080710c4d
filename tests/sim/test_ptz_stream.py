"""A VMS's GotoPreset on a simulated PTZ camera is drawn in its RTSP stream within 1 s."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio

from callpoint.config import Site
from callpoint.media.streamcheck import open_rtsp
from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.transport import SoapHttp
from callpoint.sim import SimOptions, Simulator
from callpoint.sim.onvif_devices import PROFILE_TOKEN
from tests.sim.media.support import band_mask, differing_pixels
from tests.support.peers import GSTREAMER, needs

pytestmark = [pytest.mark.asyncio, needs(GSTREAMER)]

PTZ = "TANKFARM-EAST-PTZ-01"


@pytest_asyncio.fixture
async def sim(example_site: Site) -> AsyncIterator[Simulator]:
    options = SimOptions(password="pw-ptz")
    async with Simulator(example_site.config, options) as simulator:
        yield simulator


def _with_credentials(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc}"))


async def test_goto_preset_changes_the_drawn_preset_within_one_second(sim: Simulator) -> None:
    line = sim.video(PTZ).line()
    assert line.rtsp and line.onvif
    rtsp = _with_credentials(line.rtsp, "admin", "pw-ptz")
    masks: queue.Queue[tuple[float, int]] = queue.Queue()
    stop = threading.Event()

    def decode() -> None:
        with open_rtsp(rtsp) as container:
            for frame in container.decode(video=0):
                masks.put((time.monotonic(), band_mask(frame)))
                if stop.is_set():
                    return

    reader = asyncio.create_task(asyncio.to_thread(decode))
    try:
        async with SoapHttp() as http:
            onvif = OnvifDevice(line.onvif, "admin", "pw-ptz", http=http)
            await onvif.connect()
            presets = {p.token: p.name for p in await onvif.presets(PROFILE_TOKEN)}
            assert presets == {"1": "Home", "2": "Post 03", "7": "Gate", "8": "Tank row"}
            before = [await asyncio.to_thread(masks.get, True, 10) for _ in range(6)]
            baseline = before[-1][1]  # PRESET 1 Home, drawn since start-up
            while not masks.empty():
                masks.get_nowait()
            asked_at = time.monotonic()
            await onvif.goto_preset(PROFILE_TOKEN, "8")
        assert sim.video(PTZ).overlay == "PRESET 8 Tank row"
        seen_at, after = await asyncio.to_thread(masks.get, True, 5)
        while differing_pixels(baseline, after) < 500:
            assert seen_at - asked_at < 1.0, "preset 8 not drawn within 1 s"
            seen_at, after = await asyncio.to_thread(masks.get, True, 5)
        assert seen_at - asked_at < 1.0
    finally:
        stop.set()
        await reader
