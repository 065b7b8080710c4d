"""The media server's control channel: one JSON object per line (pure codec).

The parent writes commands to the child's stdin and reads replies from its stdout. Each
command carries a sequence number that its reply echoes; the child announces itself with
one `Ready` line first. End of stdin means stop, so the child never outlives its parent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from callpoint.sim.media.pipeline import MAX_OVERLAY_CHARS, valid_camera_id

# RTSP credentials reach the child by environment, never on its command line.
USERNAME_ENV = "CALLPOINT_MEDIA_USERNAME"
PASSWORD_ENV = "CALLPOINT_MEDIA_PASSWORD"  # noqa: S105  (a variable name, not a secret)
# A command is a few identifiers and one overlay text; anything longer is not ours.
MAX_CONTROL_LINE_BYTES = 4096


class ControlProtocolError(ValueError):
    """A control line that does not decode to a known, well-formed message."""


@dataclass(frozen=True, slots=True)
class AddCamera:
    """Mount /cam/<camera_id> with `name` drawn top-left and `overlay` bottom-left."""

    seq: int
    camera_id: str
    name: str
    overlay: str = ""


@dataclass(frozen=True, slots=True)
class SetOverlay:
    """Replace the bottom-left text (the PTZ preset) of a camera."""

    seq: int
    camera_id: str
    text: str


@dataclass(frozen=True, slots=True)
class RemoveCamera:
    """Unmount a camera; sessions already playing end with the media."""

    seq: int
    camera_id: str


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop serving and exit."""

    seq: int


@dataclass(frozen=True, slots=True)
class Ready:
    """First line from the child: the ports it bound (useful when asked for port 0)."""

    rtsp_port: int
    http_port: int


@dataclass(frozen=True, slots=True)
class Reply:
    """Outcome of the command with the same `seq`; `error` is empty on success."""

    seq: int
    error: str = ""


Command = AddCamera | SetOverlay | RemoveCamera | Stop
ChildMessage = Ready | Reply

_OPS: dict[type[Command], str] = {
    AddCamera: "add",
    SetOverlay: "overlay",
    RemoveCamera: "remove",
    Stop: "stop",
}


def encode(message: Command | ChildMessage) -> bytes:
    """One line of JSON, newline-terminated."""
    body: dict[str, str | int]
    match message:
        case AddCamera(seq, camera_id, name, overlay):
            body = {"seq": seq, "id": camera_id, "name": name, "overlay": overlay}
        case SetOverlay(seq, camera_id, text):
            body = {"seq": seq, "id": camera_id, "text": text}
        case RemoveCamera(seq, camera_id):
            body = {"seq": seq, "id": camera_id}
        case Stop(seq):
            body = {"seq": seq}
        case Ready(rtsp_port, http_port):
            body = {"ready": True, "rtsp_port": rtsp_port, "http_port": http_port}
        case Reply(seq, error):
            body = {"seq": seq, "error": error}
    if isinstance(message, AddCamera | SetOverlay | RemoveCamera | Stop):
        body["op"] = _OPS[type(message)]
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"


def _load(line: bytes) -> dict[str, object]:
    if len(line) > MAX_CONTROL_LINE_BYTES:
        raise ControlProtocolError(f"control line of {len(line)} bytes is too long")
    try:
        value = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlProtocolError("control line is not JSON") from exc
    if not isinstance(value, dict):
        raise ControlProtocolError("control line is not a JSON object")
    return value


def _str(body: dict[str, object], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise ControlProtocolError(f"{key!r} must be a string")
    return value


def _int(body: dict[str, object], key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ControlProtocolError(f"{key!r} must be a non-negative integer")
    return value


def _camera_id(body: dict[str, object]) -> str:
    camera_id = _str(body, "id")
    if not valid_camera_id(camera_id):
        raise ControlProtocolError(f"bad camera id {camera_id!r}")
    return camera_id


def _overlay(body: dict[str, object], key: str) -> str:
    text = _str(body, key, "")
    if len(text) > MAX_OVERLAY_CHARS:
        raise ControlProtocolError(f"{key!r} is longer than {MAX_OVERLAY_CHARS} characters")
    return text


def decode_command(line: bytes) -> Command:
    """Parse one command line; raises `ControlProtocolError`."""
    body = _load(line)
    seq = _int(body, "seq")
    match body.get("op"):
        case "add":
            return AddCamera(
                seq, _camera_id(body), _overlay(body, "name"), _overlay(body, "overlay")
            )
        case "overlay":
            return SetOverlay(seq, _camera_id(body), _overlay(body, "text"))
        case "remove":
            return RemoveCamera(seq, _camera_id(body))
        case "stop":
            return Stop(seq)
        case other:
            raise ControlProtocolError(f"unknown op {other!r}")


def decode_child_message(line: bytes) -> ChildMessage:
    """Parse one line from the child; raises `ControlProtocolError`."""
    body = _load(line)
    if body.get("ready") is True:
        return Ready(_int(body, "rtsp_port"), _int(body, "http_port"))
    return Reply(_int(body, "seq"), _str(body, "error", ""))
