"""`callpoint simulate` on the example site serves every camera as H.264 that decodes.

The check a fresh machine once failed: the streams were mounted but each DESCRIBE got 503.
Each camera is described with callpoint's RTSP client, decoded with PyAV and probed with
ffprobe, all cameras at once.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any
from urllib.parse import quote, urlsplit

import av
import pytest

from callpoint.config import load_site
from callpoint.media.rtsp_client import describe
from callpoint.sim.media.pipeline import VIDEO_HEIGHT_PX, VIDEO_WIDTH_PX
from tests.conftest import EXAMPLE_SITE
from tests.sim.test_simulate_cli import Running, simulate
from tests.support.peers import FFPROBE, GSTREAMER, needs

__all__ = ["simulate"]

pytestmark = [pytest.mark.asyncio, needs(GSTREAMER, FFPROBE)]

# An encoder starts on the first client; a loaded 2-core machine gives a frame within ~2 s.
OPEN_TIMEOUT_S = 10.0
FFPROBE_TIMEOUT_S = 20.0
# The SDP carries the H.264 parameter sets: half a second of probing finds the size, where
# ffmpeg's default of 5 s would make the test wait for nothing.
ANALYZE_US = "500000"


def _with_credentials(line: dict[str, Any]) -> str:
    parts = urlsplit(str(line["rtsp"]))
    user, password = quote(line["username"], safe=""), quote(line["password"], safe="")
    return parts._replace(netloc=f"{user}:{password}@{parts.netloc}").geturl()


def _first_frame(url: str) -> tuple[str, int, int]:
    """Codec name and size of the first decoded video frame (PyAV, RTP over TCP)."""
    options = {"rtsp_transport": "tcp", "analyzeduration": ANALYZE_US}
    with av.open(url, options=options, timeout=(OPEN_TIMEOUT_S, OPEN_TIMEOUT_S)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            return str(stream.codec_context.name), frame.width, frame.height
    raise AssertionError(f"no frame from {urlsplit(url).path}")


def _ffprobe(url: str) -> dict[str, Any]:
    probe = ["-v", "error", "-rtsp_transport", "tcp", "-analyzeduration", ANALYZE_US]
    show = ["-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height"]
    done = subprocess.run(
        ["ffprobe", *probe, *show, "-of", "json", url],
        capture_output=True,
        text=True,
        timeout=FFPROBE_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [stream] = json.loads(done.stdout)["streams"]
    return dict(stream)


async def test_every_camera_of_the_site_streams_h264_that_decodes(
    simulate: Running, site_env: None
) -> None:
    cameras = {camera.id for camera in load_site(EXAMPLE_SITE).config.cameras}
    lines = [line for line in simulate.lines if "rtsp" in line]
    streaming = {line.get("camera") or line["id"]: line for line in lines}  # intercoms: camera
    assert set(streaming) == cameras and len(cameras) >= 5
    urls = {camera: _with_credentials(line) for camera, line in streaming.items()}

    described = await asyncio.gather(*(describe(url, backchannel=False) for url in urls.values()))
    assert [d.status for d in described] == [200] * len(urls), described
    for answer in described:
        assert answer.sdp is not None
        [video] = [m for m in answer.sdp.media if m.media == "video"]
        assert video.encodings == ("H264/90000",)

    decoded = await asyncio.gather(*(asyncio.to_thread(_first_frame, u) for u in urls.values()))
    assert decoded == [("h264", VIDEO_WIDTH_PX, VIDEO_HEIGHT_PX)] * len(urls)

    probed = await asyncio.gather(*(asyncio.to_thread(_ffprobe, u) for u in urls.values()))
    for stream in probed:
        assert stream["codec_name"] == "h264"
        assert (stream["width"], stream["height"]) == (VIDEO_WIDTH_PX, VIDEO_HEIGHT_PX)
