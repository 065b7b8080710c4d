"""Loopback HTTP for snapshots: GET /snapshot/<camera id>.jpg returns one JPEG."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from callpoint.sim.media.pipeline import valid_camera_id

log = logging.getLogger(__name__)

SNAPSHOT_PREFIX = "/snapshot/"
SNAPSHOT_SUFFIX = ".jpg"

Snapshotter = Callable[[str], bytes]


def snapshot_path(camera_id: str) -> str:
    """The URL path of a camera's snapshot."""
    return f"{SNAPSHOT_PREFIX}{camera_id}{SNAPSHOT_SUFFIX}"


class _Handler(BaseHTTPRequestHandler):
    server: SnapshotHTTPServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        camera_id = path.removeprefix(SNAPSHOT_PREFIX).removesuffix(SNAPSHOT_SUFFIX)
        if not (
            path.startswith(SNAPSHOT_PREFIX)
            and path.endswith(SNAPSHOT_SUFFIX)
            and valid_camera_id(camera_id)
        ):
            self._plain(HTTPStatus.NOT_FOUND, "no such snapshot")
            return
        try:
            jpeg = self.server.snapshotter(camera_id)
        except KeyError:
            self._plain(HTTPStatus.NOT_FOUND, f"no camera {camera_id}")
            return
        except TimeoutError as exc:
            self._plain(HTTPStatus.SERVICE_UNAVAILABLE, str(exc))
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(jpeg)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(jpeg)

    def _plain(self, status: HTTPStatus, text: str) -> None:
        body = text.encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("snapshot http: " + format, *args)  # noqa: G003  (stdlib's format string)


class SnapshotHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that asks `snapshotter(camera_id)` for each JPEG."""

    daemon_threads = True

    def __init__(self, address: str, port: int, snapshotter: Snapshotter) -> None:
        self.snapshotter = snapshotter
        super().__init__((address, port), _Handler)
