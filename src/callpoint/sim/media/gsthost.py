"""The GStreamer side of the media server; runs only in the child process.

One `GstRtspServer` on a loopback address serves every camera at /cam/<id>. Each mount is
a shared factory: the first client starts the encoder, later clients share it, and when
the last one leaves the pipeline stops, so idle cameras cost no CPU. The overlay text of
a camera is kept here and pushed into every live pipeline of that camera.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import (  # noqa: E402  (after require_version)
    GLib,
    Gst,
    GstApp,
    GstRtsp,
    GstRtspServer,
)

from callpoint.sim.media import pipeline  # noqa: E402

log = logging.getLogger(__name__)

# A snapshot pipeline renders one 640x360 frame; far less than this on any machine.
SNAPSHOT_TIMEOUT_S = 5.0
# Snapshots run in HTTP threads; bound how many pipelines may exist at once.
MAX_CONCURRENT_SNAPSHOTS = 4


# The role every authenticated user gets; each factory lets it read and start media.
_ROLE = "viewer"


class UnknownCameraError(KeyError):
    """No camera with this id is mounted."""


class PipelineError(RuntimeError):
    """A camera's pipeline cannot be built here: an element is missing or refuses."""


def check_launch(launch: str) -> None:
    """Raise `PipelineError` unless `launch` builds: every element exists, then it parses.

    A mount whose pipeline cannot be built answers each DESCRIBE with 503 and says
    nothing, so this runs before a camera is mounted.
    """
    for name in pipeline.element_names(launch):
        if Gst.ElementFactory.find(name) is None:
            raise PipelineError(pipeline.missing_element_message(name))
    try:
        built = Gst.parse_launch(launch)
    except GLib.Error as exc:
        raise PipelineError(f"GStreamer pipeline cannot be built: {exc.message}") from exc
    built.set_state(Gst.State.NULL)


@dataclass(slots=True)
class _Camera:
    name: str
    overlay: str
    background: int
    factory: GstRtspServer.RTSPMediaFactory
    # (source, overlay) elements of the pipelines now playing; normally one pipeline, as
    # the factory is shared.
    live: list[tuple[Gst.Element, Gst.Element]] = field(default_factory=list)


def _style(element: Gst.Element, text: str, font: str) -> None:
    element.set_property("text", text)
    element.set_property("font-desc", font)


def _role_permissions() -> Gst.Structure:
    structure = Gst.Structure.new_from_string(
        f"{_ROLE}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
    )
    assert structure is not None  # a constant that parses
    return structure


def _digest_auth(username: str, password: str) -> GstRtspServer.RTSPAuth:
    # Digest only, as most cameras do: Basic would send the password in clear text.
    auth = GstRtspServer.RTSPAuth()
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", _ROLE)
    auth.add_digest(username, password, token)
    return auth


class GstMediaHost:
    """Mounts, overlay state and snapshots. Mutating calls run on the GLib main loop."""

    def __init__(self, address: str, port: int, credentials: tuple[str, str] | None = None) -> None:
        """With `credentials` (user, password) every mount demands RTSP Digest auth."""
        Gst.init(None)
        self._address = address
        self._server = GstRtspServer.RTSPServer()
        self._server.set_address(address)
        self._server.set_service(str(port))
        self._cameras: dict[str, _Camera] = {}
        self._lock = threading.Lock()  # guards _cameras against the snapshot threads
        self._snapshots = threading.BoundedSemaphore(MAX_CONCURRENT_SNAPSHOTS)
        self._source_id = 0
        self._style = pipeline.OverlayStyle()
        self._auth = credentials is not None
        self._built: set[str] = set()  # launch lines check_launch has accepted
        if credentials is not None:
            self._server.set_auth(_digest_auth(*credentials))

    def start(self) -> int:
        """Attach to the default main context; returns the bound RTSP port."""
        self._source_id = self._server.attach(None)
        if self._source_id == 0:
            raise OSError(
                f"RTSP server could not bind {self._address}:{self._server.get_service()}"
            )
        return int(self._server.get_bound_port())

    def add_camera(self, camera_id: str, name: str, overlay: str) -> None:
        """Mount /cam/<camera_id>, replacing any camera of the same id.

        Raises `PipelineError` (naming the camera) if its pipelines cannot be built here.
        """
        for launch in (pipeline.rtsp_launch(), pipeline.snapshot_launch()):
            if launch not in self._built:
                try:
                    check_launch(launch)
                except PipelineError as exc:
                    raise PipelineError(f"camera {camera_id}: {exc}") from exc
                self._built.add(launch)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(pipeline.rtsp_launch())
        factory.set_shared(True)
        if self._auth:
            factory.add_role_from_structure(_role_permissions())
        factory.connect("media-configure", self._on_media_configure, camera_id)
        camera = _Camera(name, overlay, pipeline.scene_argb(camera_id, overlay), factory)
        with self._lock:
            self._cameras[camera_id] = camera
        self._mounts().add_factory(f"/cam/{camera_id}", factory)
        log.info("mounted /cam/%s (%s)", camera_id, name)

    def remove_camera(self, camera_id: str) -> None:
        """Unmount a camera; raises `UnknownCameraError`."""
        with self._lock:
            if self._cameras.pop(camera_id, None) is None:
                raise UnknownCameraError(camera_id)
        self._mounts().remove_factory(f"/cam/{camera_id}")

    def _mounts(self) -> GstRtspServer.RTSPMountPoints:
        mounts = self._server.get_mount_points()
        assert mounts is not None  # an RTSPServer is created with a mount table
        return mounts

    def set_overlay(self, camera_id: str, text: str) -> None:
        """Change the bottom-left text and the scene behind it, as a PTZ move would;
        live pipelines draw both from their next frame."""
        with self._lock:
            camera = self._cameras.get(camera_id)
            if camera is None:
                raise UnknownCameraError(camera_id)
            camera.overlay = text
            camera.background = pipeline.scene_argb(camera_id, text)
            elements = list(camera.live)
        for source, overlay in elements:
            overlay.set_property("text", text)
            source.set_property("background-color", camera.background)

    def stop(self) -> None:
        """Stop accepting clients and close the sessions of those connected."""
        if self._source_id:
            GLib.source_remove(self._source_id)
            self._source_id = 0
        self._server.client_filter(lambda _server, _client: GstRtspServer.RTSPFilterResult.REMOVE)

    def _configure(self, bin_: Gst.Bin, camera: _Camera) -> tuple[Gst.Element, Gst.Element]:
        source = bin_.get_by_name(pipeline.SOURCE_ELEMENT)
        title = bin_.get_by_name(pipeline.TITLE_ELEMENT)
        overlay = bin_.get_by_name(pipeline.OVERLAY_ELEMENT)
        clock = bin_.get_by_name(pipeline.CLOCK_ELEMENT)
        if source is None or title is None or overlay is None or clock is None:
            raise LookupError("pipeline lacks a named element")  # a bug in pipeline.py
        source.set_property("background-color", camera.background)
        _style(title, camera.name, self._style.title_font)
        _style(overlay, camera.overlay, self._style.overlay_font)
        clock.set_property("font-desc", self._style.clock_font)
        clock.set_property("time-format", pipeline.CLOCK_FORMAT)
        return source, overlay

    def _on_media_configure(
        self,
        _factory: GstRtspServer.RTSPMediaFactory,
        media: GstRtspServer.RTSPMedia,
        camera_id: str,
    ) -> None:
        with self._lock:
            camera = self._cameras.get(camera_id)
            if camera is None:
                return
            element = media.get_element()
            assert isinstance(element, Gst.Bin)  # the factory's "( ... )" launch is a bin
            elements = self._configure(element, camera)
            camera.live.append(elements)
        media.connect("unprepared", self._on_media_unprepared, camera, elements)
        log.info("/cam/%s: pipeline started", camera_id)

    def _on_media_unprepared(
        self,
        _media: GstRtspServer.RTSPMedia,
        camera: _Camera,
        elements: tuple[Gst.Element, Gst.Element],
    ) -> None:
        with self._lock:
            if elements in camera.live:
                camera.live.remove(elements)

    def snapshot(self, camera_id: str) -> bytes:
        """One JPEG of the camera's picture as it is now; raises `UnknownCameraError`.

        Thread-safe; called from the HTTP threads.
        """
        with self._lock:
            camera = self._cameras.get(camera_id)
            if camera is None:
                raise UnknownCameraError(camera_id)
            template = _Camera(camera.name, camera.overlay, camera.background, camera.factory)
        with self._snapshots:
            pipe = Gst.parse_launch(pipeline.snapshot_launch())
            assert isinstance(pipe, Gst.Bin)  # parse_launch of a chain yields a pipeline
            try:
                self._configure(pipe, template)
                sink = pipe.get_by_name(pipeline.SNAPSHOT_SINK)
                assert isinstance(sink, GstApp.AppSink)
                pipe.set_state(Gst.State.PLAYING)
                sample = sink.try_pull_sample(int(SNAPSHOT_TIMEOUT_S * Gst.SECOND))
                if sample is None:
                    raise TimeoutError(f"no snapshot frame for {camera_id}")
                buffer = sample.get_buffer()
                if buffer is None:
                    raise TimeoutError(f"empty snapshot sample for {camera_id}")
                return bytes(buffer.extract_dup(0, buffer.get_size()))
            finally:
                pipe.set_state(Gst.State.NULL)
