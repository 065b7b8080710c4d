"""Child process: ``python -m callpoint.sim.media --rtsp-port N --http-port M``.

Serves RTSP and snapshot HTTP on a loopback address and obeys JSON lines on stdin (see
`control`). Started and stopped by `callpoint.sim.media.MediaServer`; by hand,
``python -m callpoint.sim.media --rtsp-port 8554 --camera gate='Main gate' < /dev/tty``
serves rtsp://127.0.0.1:8554/cam/gate until stdin closes.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from callpoint.sim.media import control
from callpoint.sim.media.control import PASSWORD_ENV, USERNAME_ENV
from callpoint.sim.media.pipeline import valid_camera_id
from callpoint.sim.media.snapshot_http import SnapshotHTTPServer

try:
    from gi.repository import GLib

    from callpoint.sim.media.gsthost import GstMediaHost, PipelineError, UnknownCameraError
except (ImportError, ValueError) as exc:  # no PyGObject, or a GStreamer typelib missing
    # Told to the parent as a Reply with seq 0 in place of Ready: the user reads what to
    # install, not "exited (code 1)".
    _why = (
        f"GStreamer cannot be loaded from Python ({exc}): needs PyGObject<3.51 and the "
        "Debian package gir1.2-gst-rtsp-server-1.0 (make install installs both)"
    )
    sys.stdout.buffer.write(control.encode(control.Reply(0, _why)))
    sys.exit(1)

log = logging.getLogger("callpoint.sim.media")


class _Child:
    def __init__(self, host: GstMediaHost, loop: GLib.MainLoop) -> None:
        self._host = host
        self._loop = loop
        self._out = threading.Lock()
        self._pending = b""

    def send(self, message: control.ChildMessage) -> None:
        with self._out:
            sys.stdout.buffer.write(control.encode(message))
            sys.stdout.buffer.flush()

    def on_stdin(self, fd: int, _condition: GLib.IOCondition) -> bool:
        """Main-loop watch on stdin: run each complete command line; EOF means stop.

        Read with os.read on the main loop, not a thread: a thread blocked in a buffered
        stdin read aborts the interpreter at exit.
        """
        chunk = os.read(fd, control.MAX_CONTROL_LINE_BYTES)
        if not chunk:
            self._execute(control.Stop(seq=0))
            return False  # GLib: remove the watch
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        if len(self._pending) > control.MAX_CONTROL_LINE_BYTES:
            log.warning("control line too long; dropped")
            self._pending = b""
        for line in lines:
            try:
                command = control.decode_command(line)
            except control.ControlProtocolError as exc:
                log.warning("bad control line: %s", exc)
                continue
            self._execute(command)
        return True

    def _execute(self, command: control.Command) -> bool:
        error = ""
        try:
            match command:
                case control.AddCamera(_, camera_id, name, overlay):
                    self._host.add_camera(camera_id, name, overlay)
                case control.SetOverlay(_, camera_id, text):
                    self._host.set_overlay(camera_id, text)
                case control.RemoveCamera(_, camera_id):
                    self._host.remove_camera(camera_id)
                case control.Stop():
                    self._loop.quit()
        except UnknownCameraError as exc:
            error = f"unknown camera {exc.args[0]}"
        except PipelineError as exc:
            error = str(exc)
        if command.seq:
            self.send(control.Reply(command.seq, error))
        return False  # GLib: run once


def _camera_arg(parser: argparse.ArgumentParser, value: str) -> tuple[str, str]:
    camera_id, _, name = value.partition("=")
    if not valid_camera_id(camera_id):
        parser.error(f"bad camera id in --camera {value!r}")
    return camera_id, name or camera_id


def main(argv: list[str] | None = None) -> int:
    """Run the media server until stdin closes, a stop command, or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m callpoint.sim.media")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--rtsp-port", type=int, default=0)
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="ID=NAME",
        help="mount a camera at start (repeatable), e.g. --camera gate='Main gate'",
    )
    args = parser.parse_args(argv)
    cameras = [_camera_arg(parser, value) for value in args.camera]
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="media: %(message)s")

    # From the environment, not argv: the command line of a process is world-readable.
    username = os.environ.get(USERNAME_ENV)
    credentials = (username, os.environ.get(PASSWORD_ENV, "")) if username else None
    host = GstMediaHost(args.address, args.rtsp_port, credentials)
    loop = GLib.MainLoop()
    child = _Child(host, loop)
    rtsp_port = host.start()
    try:
        for camera_id, name in cameras:
            host.add_camera(camera_id, name, "")
    except PipelineError as exc:
        print(f"media: {exc}", file=sys.stderr)
        host.stop()
        return 1
    http = SnapshotHTTPServer(args.address, args.http_port, host.snapshot)
    http_thread = threading.Thread(target=http.serve_forever, name="snapshot-http", daemon=True)
    http_thread.start()

    def on_sigterm() -> bool:
        loop.quit()
        return False  # GLib: remove the handler

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, on_sigterm)
    GLib.io_add_watch(  # type: ignore[no-untyped-call]  # the stubs leave io_add_watch untyped
        sys.stdin.fileno(),
        GLib.PRIORITY_DEFAULT,
        GLib.IOCondition.IN | GLib.IOCondition.HUP,
        child.on_stdin,
    )
    child.send(control.Ready(rtsp_port, http.server_address[1]))
    log.info("serving rtsp://%s:%d/cam/<id>", args.address, rtsp_port)
    try:
        loop.run()  # type: ignore[no-untyped-call]  # the stubs leave MainLoop.run untyped
    finally:
        http.shutdown()
        http.server_close()
        host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
