"""Open an RTSP stream with PyAV, decode it for a while, and report what came out.

Used by ``callpoint probe`` (is the camera's stream really H.264 at the resolution it
claims, and does it decode?) and by the tests of the virtual cameras. Blocking: call
`check_stream` in a thread (`check_stream_async` does).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import av
import av.container
import av.error
import av.video

from callpoint.media.urls import redact_url

# Connecting and DESCRIBE/SETUP/PLAY on a LAN take well under a second; a camera that
# needs more than this is reported as not answering.
OPEN_TIMEOUT_S = 5.0
# Longest silence tolerated inside a stream before the check gives up on it.
READ_TIMEOUT_S = 5.0
DEFAULT_DURATION_S = 5.0
# FFmpeg reads this much of the stream before returning from open, to learn its
# parameters; its 5 s default would dominate the time to first frame. Cameras announce
# resolution in the SDP (sprop-parameter-sets), so half a second is plenty.
ANALYZE_DURATION_S = 0.5

Clock = Callable[[], float]


class StreamCheckError(Exception):
    """The stream could not be opened, has no video, or gave no frame at all."""


@dataclass(frozen=True, slots=True)
class StreamCheck:
    """What decoding a stream for `duration_s` showed. The URL carries no password."""

    url: str
    codec: str
    profile: str
    width: int
    height: int
    declared_fps: float | None
    measured_fps: float | None
    frames_decoded: int
    keyframes: int
    decode_errors: int
    time_to_first_frame_s: float
    duration_s: float
    stopped_early: str = ""

    @property
    def ok(self) -> bool:
        """Frames came, none failed, and the stream lasted the whole check."""
        return self.frames_decoded > 0 and self.decode_errors == 0 and not self.stopped_early


@contextmanager
def open_rtsp(
    url: str,
    *,
    transport: str = "tcp",
    open_timeout_s: float = OPEN_TIMEOUT_S,
    read_timeout_s: float = READ_TIMEOUT_S,
) -> Iterator[av.container.InputContainer]:
    """Open an RTSP URL for reading (RTP over the RTSP connection by default)."""
    try:
        container = av.open(
            url,
            options={
                "rtsp_transport": transport,
                "analyzeduration": str(int(ANALYZE_DURATION_S * 1_000_000)),
            },
            timeout=(open_timeout_s, read_timeout_s),
        )
    except (av.error.FFmpegError, OSError) as exc:
        raise StreamCheckError(f"cannot open {redact_url(url)}: {exc}") from exc
    try:
        yield container
    finally:
        container.close()


def _fps(stream: av.video.VideoStream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate
    return float(rate) if rate else None


def check_stream(
    url: str,
    *,
    duration_s: float = DEFAULT_DURATION_S,
    transport: str = "tcp",
    open_timeout_s: float = OPEN_TIMEOUT_S,
    read_timeout_s: float = READ_TIMEOUT_S,
    clock: Clock = time.monotonic,
) -> StreamCheck:
    """Decode the first video stream of `url` for `duration_s` after its first frame."""
    started = clock()
    with open_rtsp(
        url, transport=transport, open_timeout_s=open_timeout_s, read_timeout_s=read_timeout_s
    ) as container:
        if not container.streams.video:
            raise StreamCheckError(f"{redact_url(url)} has no video stream")
        stream = container.streams.video[0]
        frames = keyframes = errors = 0
        first: float | None = None
        # Presentation times give the camera's frame rate even when frames arrive in bursts.
        first_pts: float | None = None
        last_pts = 0.0
        timed = 0
        stopped = ""
        try:
            for packet in container.demux(stream):
                if packet.is_corrupt:
                    errors += 1
                try:
                    decoded = packet.decode()
                except av.error.InvalidDataError:
                    errors += 1
                    continue
                for frame in decoded:
                    if first is None:
                        first = clock()
                    frames += 1
                    keyframes += frame.key_frame
                    errors += frame.is_corrupt
                    if frame.time is not None:
                        first_pts = frame.time if first_pts is None else first_pts
                        last_pts = frame.time
                        timed += 1
                if first is not None and clock() - first >= duration_s:
                    break
            else:
                stopped = "stream ended"
        except (av.error.FFmpegError, OSError) as exc:
            stopped = f"read failed: {exc}"
        if first is None:
            raise StreamCheckError(f"no frame from {redact_url(url)} ({stopped or 'no data'})")
        elapsed = clock() - first
        codec = stream.codec_context
        return StreamCheck(
            url=redact_url(url),
            codec=codec.name,
            profile=codec.profile or "",
            width=codec.width,
            height=codec.height,
            declared_fps=_fps(stream),
            measured_fps=(
                (timed - 1) / (last_pts - first_pts)
                if first_pts is not None and last_pts > first_pts
                else None
            ),
            frames_decoded=frames,
            keyframes=keyframes,
            decode_errors=errors,
            time_to_first_frame_s=first - started,
            duration_s=elapsed,
            stopped_early=stopped,
        )


async def check_stream_async(
    url: str,
    *,
    duration_s: float = DEFAULT_DURATION_S,
    transport: str = "tcp",
    open_timeout_s: float = OPEN_TIMEOUT_S,
    read_timeout_s: float = READ_TIMEOUT_S,
) -> StreamCheck:
    """`check_stream` in a worker thread, so the event loop keeps running."""
    return await asyncio.to_thread(
        check_stream,
        url,
        duration_s=duration_s,
        transport=transport,
        open_timeout_s=open_timeout_s,
        read_timeout_s=read_timeout_s,
    )
