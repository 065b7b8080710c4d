"""Virtual camera media: H.264 RTSP streams and JPEG snapshots on loopback.

`MediaServer` runs a GStreamer RTSP server in a child process; each camera is a moving
test pattern with its name, the wall clock and an overlay text (the PTZ preset) drawn in.
Importing this package does not import GStreamer; only the child does.
"""

from callpoint.sim.media.pipeline import preset_overlay
from callpoint.sim.media.server import CameraUrls, MediaServer, MediaServerError

__all__ = ["CameraUrls", "MediaServer", "MediaServerError", "preset_overlay"]
