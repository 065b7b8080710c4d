"""`MediaServer`: the parent's handle on the media child process (asyncio).

GStreamer runs its own GLib main loop, so it lives in a child process
(``python -m callpoint.sim.media``) that this class starts, commands over stdin and stops.
The child exits by itself if our stdin pipe closes, so a crashed parent leaves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from callpoint.sim.media import control
from callpoint.sim.media.pipeline import MAX_OVERLAY_CHARS, valid_camera_id
from callpoint.sim.media.snapshot_http import snapshot_path

log = logging.getLogger(__name__)

# Importing GStreamer and binding two ports; a loaded 2-core machine needs ~1 s.
START_TIMEOUT_S = 15.0
# A command is one dictionary update on the child's main loop.
COMMAND_TIMEOUT_S = 5.0
# After "stop" the child closes its sessions and exits; then it is killed.
STOP_TIMEOUT_S = 5.0


class MediaServerError(RuntimeError):
    """The media child failed to start, answered an error, or is gone."""


@dataclass(frozen=True, slots=True)
class CameraUrls:
    """Where a mounted camera can be reached."""

    rtsp: str
    snapshot: str


def _check(camera_id: str, *texts: str) -> None:
    # Refuse here what the child would refuse, instead of waiting for a reply that the
    # child cannot send to a line it could not read.
    if not valid_camera_id(camera_id):
        raise MediaServerError(f"bad camera id {camera_id!r}: letters, digits, '._-'")
    for text in texts:
        if len(text) > MAX_OVERLAY_CHARS:
            raise MediaServerError(f"text longer than {MAX_OVERLAY_CHARS} characters")


class MediaServer:
    """Many virtual cameras, one child process, RTSP at rtsp://host:port/cam/<id>.

    Use as ``async with MediaServer() as media:``; ports 0 pick free ones.
    """

    def __init__(
        self,
        *,
        address: str = "127.0.0.1",
        rtsp_port: int = 0,
        http_port: int = 0,
        username: str | None = None,
        password: str = "",
    ) -> None:
        """With `username`, RTSP demands Digest auth (snapshots stay open on loopback)."""
        self._address = address
        self._env = dict(os.environ)
        self._env.pop(control.USERNAME_ENV, None)
        if username:
            self._env[control.USERNAME_ENV] = username
            self._env[control.PASSWORD_ENV] = password
        self._args = ["--address", address, "--rtsp-port", str(rtsp_port)]
        self._args += ["--http-port", str(http_port)]
        self._proc: asyncio.subprocess.Process | None = None
        self._ready: control.Ready | None = None
        self._seq = 0
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def rtsp_port(self) -> int:
        """The bound RTSP port (after `start`)."""
        return self._ports().rtsp_port

    @property
    def http_port(self) -> int:
        """The bound snapshot HTTP port (after `start`)."""
        return self._ports().http_port

    def urls(self, camera_id: str) -> CameraUrls:
        """RTSP and snapshot URLs of a camera id (mounted or not)."""
        ready = self._ports()
        return CameraUrls(
            rtsp=f"rtsp://{self._address}:{ready.rtsp_port}/cam/{camera_id}",
            snapshot=f"http://{self._address}:{ready.http_port}{snapshot_path(camera_id)}",
        )

    async def start(self) -> None:
        """Start the child and wait until it has bound its ports."""
        if self._proc is not None:
            raise MediaServerError("media server already started")
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "callpoint.sim.media",
            *self._args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self._env,
        )
        try:
            message = await asyncio.wait_for(self._read(), START_TIMEOUT_S)
        except MediaServerError:
            await self.close()
            raise
        except TimeoutError as exc:
            await self.close()
            raise MediaServerError(f"media child not ready within {START_TIMEOUT_S} s") from exc
        if not isinstance(message, control.Ready):
            await self.close()
            if isinstance(message, control.Reply) and message.seq == 0 and message.error:
                raise MediaServerError(message.error)  # the child could not start; it says why
            raise MediaServerError(f"media child said {message!r} before ready")
        self._ready = message
        log.info("media server pid %d, rtsp port %d", self._proc.pid, message.rtsp_port)

    async def add_camera(self, camera_id: str, name: str, overlay: str = "") -> CameraUrls:
        """Mount a camera drawing `name` and `overlay` (e.g. ``preset_overlay("7", "Gate")``)."""
        _check(camera_id, name, overlay)
        await self._command(lambda seq: control.AddCamera(seq, camera_id, name, overlay))
        return self.urls(camera_id)

    async def set_overlay(self, camera_id: str, text: str) -> None:
        """Change the drawn preset (and the scene behind it) from the stream's next frame;
        a client decodes it 0.2-0.3 s later."""
        _check(camera_id, text)
        await self._command(lambda seq: control.SetOverlay(seq, camera_id, text))

    async def remove_camera(self, camera_id: str) -> None:
        """Unmount a camera."""
        _check(camera_id)
        await self._command(lambda seq: control.RemoveCamera(seq, camera_id))

    async def close(self) -> None:
        """Stop the child (politely, then by SIGKILL) and reap it. Safe to call twice."""
        proc, self._proc, self._ready = self._proc, None, None
        if proc is None:
            return
        if proc.stdin is not None and proc.returncode is None:
            with contextlib.suppress(ConnectionError):
                proc.stdin.write(control.encode(control.Stop(seq=0)))
                await proc.stdin.drain()
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("media child %d did not stop; killing it", proc.pid)
            proc.kill()
            await proc.wait()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.close()

    def _ports(self) -> control.Ready:
        if self._ready is None:
            raise MediaServerError("media server not running")
        return self._ready

    async def _read(self) -> control.ChildMessage:
        assert self._proc is not None and self._proc.stdout is not None
        line = await self._proc.stdout.readline()
        if not line:
            raise MediaServerError(f"media child exited (code {await self._proc.wait()})")
        try:
            return control.decode_child_message(line)
        except control.ControlProtocolError as exc:
            raise MediaServerError(f"media child sent a bad line: {exc}") from exc

    async def _command(self, make: Callable[[int], control.Command]) -> None:
        async with self._lock:  # one command in flight: replies come back in order
            proc = self._proc
            if proc is None or proc.stdin is None:
                raise MediaServerError("media server not running")
            self._seq += 1
            command = make(self._seq)
            try:
                proc.stdin.write(control.encode(command))
                await proc.stdin.drain()
                reply = await asyncio.wait_for(self._read(), COMMAND_TIMEOUT_S)
            except (ConnectionError, TimeoutError) as exc:
                raise MediaServerError(f"media child did not answer {command!r}") from exc
        if not isinstance(reply, control.Reply) or reply.seq != command.seq:
            raise MediaServerError(f"media child answered {reply!r} to {command!r}")
        if reply.error:
            raise MediaServerError(reply.error)
