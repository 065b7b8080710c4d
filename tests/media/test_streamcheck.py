"""streamcheck: PyAV against the virtual cameras' real RTSP server, and its failures."""

from __future__ import annotations

import socket

import pytest

from callpoint.media.streamcheck import StreamCheckError, check_stream, check_stream_async
from callpoint.media.urls import redact_url
from callpoint.sim.media import MediaServer
from tests.support.peers import GSTREAMER, needs

needs_gstreamer = needs(GSTREAMER)


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("rtsp://10.0.0.5/stream1", "rtsp://10.0.0.5/stream1"),
        ("rtsp://admin:s3cret@10.0.0.5:554/s?x=1", "rtsp://admin:***@10.0.0.5:554/s?x=1"),
        ("rtsp://admin:pw@[fe80::1]/s", "rtsp://admin:***@[fe80::1]/s"),
        ("rtsp://admin@10.0.0.5/s", "rtsp://admin@10.0.0.5/s"),
    ],
)
def test_reports_never_carry_the_password(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


def test_a_closed_port_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StreamCheckError, match=r"cannot open rtsp://u:\*\*\*@127\.0\.0\.1"):
        check_stream(f"rtsp://u:pw@127.0.0.1:{port}/x", open_timeout_s=2)


def test_a_silent_server_times_out_instead_of_hanging() -> None:
    with socket.socket() as silent:  # accepts the connection, never answers DESCRIBE
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(StreamCheckError, match="cannot open"):
            check_stream(f"rtsp://127.0.0.1:{port}/x", open_timeout_s=1, read_timeout_s=1)


@pytest.mark.asyncio
@needs_gstreamer
async def test_short_check_reports_the_stream(media: MediaServer) -> None:
    urls = await media.add_camera("c1", "Camera 1")
    result = await check_stream_async(urls.rtsp, duration_s=1.5)
    assert result.ok
    assert result.url == urls.rtsp
    assert (result.codec, result.profile) == ("h264", "Constrained Baseline")
    assert (result.width, result.height, result.declared_fps) == (640, 360, 10.0)
    assert 1.5 <= result.duration_s < 2.5
    assert 13 <= result.frames_decoded <= 30
    assert result.keyframes >= 1
    assert 0 < result.time_to_first_frame_s < 3


@pytest.mark.asyncio
@needs_gstreamer
async def test_unknown_mount_is_not_found(media: MediaServer) -> None:
    with pytest.raises(StreamCheckError, match=r"404|Not Found"):
        await check_stream_async(media.urls("absent").rtsp, open_timeout_s=3)


@pytest.mark.asyncio
@needs_gstreamer
async def test_rtp_over_udp_works_too(media: MediaServer) -> None:
    # RTP to the client's UDP ports on 127.0.0.1, as cameras without TCP interleaving do.
    urls = await media.add_camera("u1", "UDP camera")
    result = await check_stream_async(urls.rtsp, duration_s=1.0, transport="udp")
    assert result.ok and result.frames_decoded >= 9
    assert result.measured_fps == pytest.approx(10.0, rel=0.1)
