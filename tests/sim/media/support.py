"""Shared by the media tests: skip where GStreamer is missing, a server fixture, and
helpers to look at decoded pictures without numpy."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator

import av
import pytest
import pytest_asyncio

from callpoint.sim.media import MediaServer
from callpoint.sim.media.pipeline import VIDEO_HEIGHT_PX

_ELEMENTS = ("videotestsrc", "textoverlay", "clockoverlay", "x264enc", "rtph264pay", "jpegenc")


def gstreamer_missing() -> str:
    """Why the GStreamer RTSP server cannot run here, or "" when it can."""
    if importlib.util.find_spec("gi") is None:
        return "PyGObject is not installed (pip install 'PyGObject<3.51')"
    import gi

    try:
        gi.require_version("Gst", "1.0")
        gi.require_version("GstRtspServer", "1.0")
        from gi.repository import Gst, GstRtspServer  # noqa: F401
    except (ValueError, ImportError) as exc:
        return f"GStreamer RTSP server typelib missing ({exc}): apt gir1.2-gst-rtsp-server-1.0"
    Gst.init(None)
    missing = [name for name in _ELEMENTS if Gst.ElementFactory.find(name) is None]
    return f"GStreamer elements missing: {', '.join(missing)}" if missing else ""


def require_gstreamer() -> None:
    """Skip the calling test module when the media server cannot run here."""
    reason = gstreamer_missing()
    if reason:
        pytest.skip(reason, allow_module_level=True)


@pytest_asyncio.fixture
async def media() -> AsyncIterator[MediaServer]:
    """A running media server on free loopback ports, stopped after the test."""
    async with MediaServer() as server:
        yield server


# White text has luma ~235; the ball and the dark backgrounds stay below 150.
BRIGHT_LUMA = 200
# The preset text is drawn bottom-left; its band is the lowest 70 rows, left 420 columns.
BAND_TOP = VIDEO_HEIGHT_PX - 70
BAND_WIDTH = 420
_BRIGHT = bytes(1 if value > BRIGHT_LUMA else 0 for value in range(256))


def band_mask(frame: av.VideoFrame) -> int:
    """Bit set of bright pixels in the preset band: one byte per pixel, 0 or 1, as an int."""
    plane = frame.planes[0]  # luma, one byte per pixel in yuv420p
    data = bytes(plane)
    stride = plane.line_size
    rows = (data[row * stride : row * stride + BAND_WIDTH] for row in range(BAND_TOP, frame.height))
    return int.from_bytes(b"".join(rows).translate(_BRIGHT), "big")


def differing_pixels(a: int, b: int) -> int:
    """How many pixels are bright in one mask and not the other."""
    return (a ^ b).bit_count()


def bright_pixels(mask: int) -> int:
    """How many pixels of the band are bright."""
    return mask.bit_count()
