"""Shared by the media tests: a server fixture and helpers to look at decoded pictures
without numpy (tests.support.peers.GSTREAMER says whether the media server can run)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import av
import pytest_asyncio

from callpoint.sim.media import MediaServer
from callpoint.sim.media.pipeline import VIDEO_HEIGHT_PX


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
