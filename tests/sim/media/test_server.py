"""The virtual cameras' media server, end to end on loopback with PyAV as the client."""

from __future__ import annotations

import asyncio
import io
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import av
import pytest

from callpoint.media.streamcheck import StreamCheckError, check_stream_async, open_rtsp
from callpoint.sim.media import MediaServer, MediaServerError, control, preset_overlay
from callpoint.sim.media.pipeline import scene_argb
from tests.sim.media.support import band_mask, bright_pixels, differing_pixels
from tests.support.peers import GSTREAMER, needs

pytestmark = needs(GSTREAMER)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def _nearest_background(frame: av.VideoFrame, candidates: list[int]) -> int:
    """Which of the `candidates` (ARGB) the frame's background is nearest to, by majority
    of a few sample points away from the text (the ball covers one at most)."""
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    data = bytes(plane)
    votes: list[int] = []
    for x, y in ((620, 150), (320, 200), (40, 150)):
        offset = y * plane.line_size + 3 * x
        got = data[offset : offset + 3]

        def distance(argb: int, got: bytes = got) -> int:
            want = ((argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF)
            return sum(abs(g - w) for g, w in zip(got, want, strict=True))

        votes.append(min(candidates, key=distance))
    return max(set(votes), key=votes.count)


def _decode_jpeg(data: bytes) -> av.VideoFrame:
    with av.open(io.BytesIO(data), mode="r", format="jpeg_pipe") as container:
        return next(container.decode(video=0))


@pytest.mark.asyncio
async def test_stream_decodes_for_ten_seconds_without_errors(media: MediaServer) -> None:
    urls = await media.add_camera("gate-ptz", "Main gate PTZ", preset_overlay("1", "Home"))
    result = await check_stream_async(urls.rtsp, duration_s=10.0)
    assert result.ok, result
    assert (result.codec, result.width, result.height) == ("h264", 640, 360)
    assert result.decode_errors == 0
    assert result.frames_decoded >= 95  # 10 fps for 10 s, first frame included
    assert result.measured_fps == pytest.approx(10.0, rel=0.05)
    assert result.keyframes >= 10  # one a second, so late joiners get a picture fast
    assert result.time_to_first_frame_s < 3.0


@pytest.mark.asyncio
async def test_preset_overlay_change_is_drawn_within_one_second(media: MediaServer) -> None:
    urls = await media.add_camera("yard", "Yard PTZ", preset_overlay("1", "Home"))
    masks: queue.Queue[tuple[float, int]] = queue.Queue()
    stop = threading.Event()

    def decode() -> None:
        with open_rtsp(urls.rtsp) as container:
            for frame in container.decode(video=0):
                masks.put((time.monotonic(), band_mask(frame)))
                if stop.is_set():
                    return

    reader = asyncio.create_task(asyncio.to_thread(decode))
    try:
        before = [await asyncio.to_thread(masks.get, True, 10) for _ in range(8)]
        baseline = before[-1][1]
        assert bright_pixels(baseline) > 500, "the preset text is not drawn"
        # The same text in consecutive frames: encoding noise only.
        noise = max(differing_pixels(baseline, mask) for _, mask in before[-4:])
        assert noise < 100
        while not masks.empty():
            masks.get_nowait()

        changed_at = time.monotonic()
        await media.set_overlay("yard", preset_overlay("7", "Gate"))
        seen_at, after = await asyncio.to_thread(masks.get, True, 5)
        while differing_pixels(baseline, after) < 500:
            assert seen_at - changed_at < 1.0, "new preset not drawn within 1 s"
            seen_at, after = await asyncio.to_thread(masks.get, True, 5)
        assert seen_at - changed_at < 1.0
        # The new text stays: the next frames look like the first changed one.
        for _ in range(3):
            _, later = await asyncio.to_thread(masks.get, True, 5)
            assert differing_pixels(after, later) < 100
    finally:
        stop.set()
        await reader


@pytest.mark.asyncio
async def test_snapshot_is_a_jpeg_of_the_current_picture(media: MediaServer) -> None:
    urls = await media.add_camera("door-1", "Door 1", preset_overlay("2", "Entrance"))
    status, content_type, before = await asyncio.to_thread(_get, urls.snapshot)
    assert (status, content_type) == (200, "image/jpeg")
    assert before.startswith(b"\xff\xd8") and before.endswith(b"\xff\xd9")
    frame = _decode_jpeg(before)
    assert (frame.width, frame.height) == (640, 360)

    await media.set_overlay("door-1", preset_overlay("9", "Car park"))
    _, _, after = await asyncio.to_thread(_get, urls.snapshot)
    frame_after = _decode_jpeg(after)
    mask_before = band_mask(frame.reformat(format="yuv420p"))
    mask_after = band_mask(frame_after.reformat(format="yuv420p"))
    assert differing_pixels(mask_before, mask_after) > 500
    # The scene behind the text changed with the preset, as if the camera had moved.
    presets = (("2", "Entrance"), ("9", "Car park"))
    scenes = [scene_argb("door-1", preset_overlay(*preset)) for preset in presets]
    assert _nearest_background(frame, scenes) == scenes[0]
    assert _nearest_background(frame_after, scenes) == scenes[1]


@pytest.mark.asyncio
async def test_unknown_camera_snapshot_is_404_and_commands_fail(media: MediaServer) -> None:
    status, _, body = await asyncio.to_thread(_get, media.urls("nobody").snapshot)
    assert status == 404
    assert b"nobody" in body
    with pytest.raises(MediaServerError, match="unknown camera nobody"):
        await media.set_overlay("nobody", "PRESET 1")


@pytest.mark.asyncio
async def test_removed_camera_is_no_longer_served(media: MediaServer) -> None:
    urls = await media.add_camera("temp", "Temporary")
    await media.remove_camera("temp")
    status, _, _ = await asyncio.to_thread(_get, urls.snapshot)
    assert status == 404
    with pytest.raises(StreamCheckError, match=r"Server returned 404|not found"):
        await check_stream_async(urls.rtsp, duration_s=0.5, open_timeout_s=3)


@pytest.mark.asyncio
async def test_many_cameras_share_one_process(media: MediaServer) -> None:
    for index in range(20):
        await media.add_camera(f"cam{index}", f"Camera {index}")
    result = await check_stream_async(media.urls("cam17").rtsp, duration_s=1.0)
    assert result.frames_decoded >= 9


@pytest.mark.asyncio
async def test_close_leaves_no_process_and_frees_the_port() -> None:
    server = MediaServer()
    await server.start()
    pid, port = server.pid, server.rtsp_port
    assert pid is not None and _alive(pid)
    await server.add_camera("c1", "C1")
    await server.close()
    assert not _alive(pid)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    await server.close()  # twice is harmless


def test_child_exits_when_its_parent_goes_away() -> None:
    # A parent that dies closes the child's stdin; the child must not linger.
    child = subprocess.Popen(
        [sys.executable, "-m", "callpoint.sim.media"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        ready = control.decode_child_message(child.stdout.readline())
        assert isinstance(ready, control.Ready)
        child.stdin.close()
        assert child.wait(timeout=10) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_child_stops_on_sigterm() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "callpoint.sim.media"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert child.stdout is not None
        assert isinstance(control.decode_child_message(child.stdout.readline()), control.Ready)
        child.terminate()
        assert child.wait(timeout=10) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.asyncio
async def test_starting_twice_is_refused(media: MediaServer) -> None:
    with pytest.raises(MediaServerError, match="already started"):
        await media.start()


@pytest.mark.asyncio
async def test_close_while_a_client_is_watching(media: MediaServer) -> None:
    urls = await media.add_camera("live", "Live")
    frames: list[int] = []

    def watch() -> str:
        try:
            with open_rtsp(urls.rtsp, read_timeout_s=3) as container:
                for frame in container.decode(video=0):
                    frames.append(frame.width)
        except (StreamCheckError, av.error.FFmpegError, OSError) as exc:
            return type(exc).__name__
        return "ended"

    watcher = asyncio.create_task(asyncio.to_thread(watch))
    while len(frames) < 5:
        await asyncio.sleep(0.1)
    pid = media.pid
    assert pid is not None
    await media.close()
    assert not _alive(pid)
    outcome = await asyncio.wait_for(watcher, 10)  # the client is not left hanging
    assert outcome in {"ended", "EOFError", "OSError", "TimeoutError", "ExitError"}


@pytest.mark.asyncio
async def test_a_dead_child_is_reported_not_hung_on(media: MediaServer) -> None:
    pid = media.pid
    assert pid is not None
    os.kill(pid, 9)  # the child we started, by its pid
    await asyncio.sleep(0.2)
    with pytest.raises(MediaServerError):
        await media.set_overlay("x", "PRESET 1")
    await media.close()
    assert not _alive(pid)


@pytest.mark.asyncio
async def test_concurrent_snapshots_all_succeed(media: MediaServer) -> None:
    urls = await media.add_camera("busy", "Busy", preset_overlay("3", "Dock"))
    results = await asyncio.gather(*(asyncio.to_thread(_get, urls.snapshot) for _ in range(10)))
    assert [status for status, _, _ in results] == [200] * 10
    assert all(body.startswith(b"\xff\xd8") for _, _, body in results)


def test_cameras_can_be_mounted_from_the_command_line() -> None:
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callpoint.sim.media",
            "--camera",
            "gate=Main gate",
            "--camera",
            "yard",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        ready = control.decode_child_message(child.stdout.readline())
        assert isinstance(ready, control.Ready)
        for camera in ("gate", "yard"):
            status, content_type, _ = _get(
                f"http://127.0.0.1:{ready.http_port}/snapshot/{camera}.jpg"
            )
            assert (status, content_type) == (200, "image/jpeg")
        child.stdin.close()
        assert child.wait(timeout=10) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_bad_camera_argument_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "callpoint.sim.media", "--camera", "../x=Evil"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert b"bad camera id" in result.stderr


@pytest.mark.asyncio
async def test_bad_ids_and_texts_are_refused_at_once(media: MediaServer) -> None:
    started = time.monotonic()
    with pytest.raises(MediaServerError, match="bad camera id"):
        await media.add_camera("../etc", "Evil")
    with pytest.raises(MediaServerError, match="longer than"):
        await media.add_camera("ok", "x" * 500)
    with pytest.raises(MediaServerError, match="bad camera id"):
        await media.set_overlay("a b", "PRESET 1")
    assert time.monotonic() - started < 1  # no waiting for a reply that cannot come
    await media.add_camera("ok", "Still serving")  # the child is unaffected
