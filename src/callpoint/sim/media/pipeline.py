"""GStreamer pipeline descriptions for virtual cameras (pure: strings and numbers only).

User-supplied text (device names, presets) is never spliced into a launch string: the
elements named here get their text as properties after parsing, so no quoting is needed
and no name can inject elements.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

VIDEO_WIDTH_PX = 640
VIDEO_HEIGHT_PX = 360
FRAME_RATE_FPS = 10
# Enough for a sharp test pattern at 640x360; keeps 100 cameras under 40 Mbit/s.
BITRATE_KBPS = 400
# One keyframe a second, so a client that joins sees a picture within a second.
KEYFRAME_INTERVAL_FRAMES = FRAME_RATE_FPS
# The ball is drawn in a mid-green whose luma stays far below the white of the text, so a
# test can find the text by brightness alone.
BALL_COLOR_ARGB = 0xFF40C040
TITLE_ELEMENT = "title"
OVERLAY_ELEMENT = "overlay"
CLOCK_ELEMENT = "clock"
SOURCE_ELEMENT = "src"
SNAPSHOT_SINK = "sink"
PAYLOADER_ELEMENT = "pay0"
# strftime format drawn by clockoverlay: the wall clock of the machine, to the second.
CLOCK_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_CAMERA_ID_CHARS = 64
MAX_OVERLAY_CHARS = 120

_CAMERA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

# The Debian package of each GStreamer element the launch lines below use, so that a
# missing one can be named with what to install (scripts/install-peers.sh installs all).
ELEMENT_PACKAGES = {
    "videotestsrc": "gstreamer1.0-plugins-base",
    "capsfilter": "libgstreamer1.0-0",
    "textoverlay": "gstreamer1.0-x",
    "clockoverlay": "gstreamer1.0-x",
    "videoconvert": "gstreamer1.0-plugins-base",
    "x264enc": "gstreamer1.0-plugins-ugly",
    "rtph264pay": "gstreamer1.0-plugins-good",
    "jpegenc": "gstreamer1.0-plugins-good",
    "appsink": "gstreamer1.0-plugins-base",
}


def valid_camera_id(camera_id: str) -> bool:
    """Whether `camera_id` can be a mount path segment (/cam/<id>) and a file name."""
    return len(camera_id) <= MAX_CAMERA_ID_CHARS and _CAMERA_ID.fullmatch(camera_id) is not None


def preset_overlay(token: str, name: str = "") -> str:
    """The text a PTZ camera draws for its current preset, e.g. ``PRESET 7 Gate``."""
    return f"PRESET {token} {name}".rstrip()


def background_argb(camera_id: str) -> int:
    """A dark background colour derived from the camera id, so cameras look distinct.

    Each channel stays below 0x50: white text (luma 235) remains the only bright thing.
    """
    digest = hashlib.sha256(camera_id.encode()).digest()
    red, green, blue = (b % 0x50 for b in digest[:3])
    return 0xFF000000 | red << 16 | green << 8 | blue


def scene_argb(camera_id: str, overlay: str) -> int:
    """The background a camera shows under `overlay`: each preset has its own, so a
    preset change visibly moves the view."""
    return background_argb(f"{camera_id}\n{overlay}" if overlay else camera_id)


@dataclass(frozen=True, slots=True)
class OverlayStyle:
    """Where and how each text is drawn."""

    title_font: str = "Sans Bold 16"
    overlay_font: str = "Sans Bold 20"
    clock_font: str = "Sans 14"


def _source_chain(num_buffers: int) -> str:
    # Shared by stream and snapshot. The ball moves with the wall clock, so a snapshot
    # shows it where the stream does; then three overlays.
    return (
        f"videotestsrc name={SOURCE_ELEMENT} is-live=true pattern=ball "
        f"foreground-color={BALL_COLOR_ARGB} animation-mode=wall-time num-buffers={num_buffers} "
        f"! video/x-raw,width={VIDEO_WIDTH_PX},height={VIDEO_HEIGHT_PX},"
        f"framerate={FRAME_RATE_FPS}/1 "
        f"! textoverlay name={TITLE_ELEMENT} valignment=top halignment=left "
        "shaded-background=true "
        f"! textoverlay name={OVERLAY_ELEMENT} valignment=bottom halignment=left "
        "shaded-background=true "
        f"! clockoverlay name={CLOCK_ELEMENT} valignment=top halignment=right "
        "shaded-background=true "
    )


def rtsp_launch() -> str:
    """The RTSP media factory's launch line: test pattern to H.264 RTP (payloader pay0)."""
    return (
        "( " + _source_chain(-1) + "! videoconvert ! video/x-raw,format=I420 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast bitrate={BITRATE_KBPS} "
        f"key-int-max={KEYFRAME_INTERVAL_FRAMES} threads=1 "
        "! video/x-h264,profile=constrained-baseline "
        f"! rtph264pay name={PAYLOADER_ELEMENT} pt=96 config-interval=1 )"
    )


def snapshot_launch() -> str:
    """One frame of the same picture, JPEG-encoded into an appsink named `sink`."""
    return (
        _source_chain(1).replace("is-live=true", "is-live=false")
        + "! videoconvert ! jpegenc quality=85 "
        f"! appsink name={SNAPSHOT_SINK} sync=false max-buffers=1"
    )


def element_names(launch: str) -> list[str]:
    """The element factories a launch line names, in order and once each.

    Enough for the lines of this module: elements joined by ``!``, a bin in ``( )``, and
    caps (``video/x-raw,...``), which parse_launch turns into a capsfilter.
    """
    names: list[str] = []
    for link in launch.split("!"):
        words = link.replace("(", " ").replace(")", " ").split()
        if not words:
            continue
        name = "capsfilter" if "/" in words[0] else words[0]
        if name not in names:
            names.append(name)
    return names


def missing_element_message(element: str) -> str:
    """What to tell a user whose GStreamer lacks `element`, with the package to install."""
    package = ELEMENT_PACKAGES.get(element)
    where = f" (Debian package {package})" if package else ""
    return f"GStreamer element {element!r} is missing{where}"
