"""The parts of SDP (RFC 4566) a camera probe reads: media, codecs, direction, control.

Lenient where cameras are sloppy (missing or malformed o=/t= lines, LF-only line ends),
strict where it matters (an m= line must have its four fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from callpoint.media.errors import RemoteProtocolError

# A camera's SDP has a handful of media; more than this is not a camera.
MAX_MEDIA = 32
MAX_SDP_LINES = 1000


class Direction(StrEnum):
    """Media direction attributes (RFC 4566 section 6), from the SDP author's side."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"


_DIRECTIONS = frozenset(d.value for d in Direction)


@dataclass(frozen=True, slots=True)
class MediaDescription:
    """One m= section."""

    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    direction: Direction
    encodings: tuple[str, ...] = ()  # rtpmap encoding names, e.g. "H264/90000"
    control: str = ""


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """A parsed SDP body."""

    session_name: str
    media: tuple[MediaDescription, ...]

    @property
    def backchannel(self) -> MediaDescription | None:
        """The ONVIF audio backchannel: an audio medium marked sendonly, or None."""
        return next(
            (m for m in self.media if m.media == "audio" and m.direction is Direction.SENDONLY),
            None,
        )


def _media_line(value: str) -> tuple[str, int, str, tuple[str, ...]]:
    fields = value.split()
    if len(fields) < 4:
        raise RemoteProtocolError(f"m= line needs media, port, proto, formats: {value!r}")
    port_text = fields[1].split("/", 1)[0]
    if not port_text.isdigit():
        raise RemoteProtocolError(f"bad port in m= line {value!r}")
    return fields[0], int(port_text), fields[2], tuple(fields[3:])


def parse_sdp(body: bytes) -> SessionDescription:
    """Parse an SDP body; raises `RemoteProtocolError` if it is not SDP."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemoteProtocolError("SDP is not UTF-8") from exc
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_SDP_LINES:
        raise RemoteProtocolError(f"SDP of more than {MAX_SDP_LINES} lines")
    if not lines or lines[0] != "v=0":
        raise RemoteProtocolError("SDP does not start with v=0")
    session_name = ""
    session_direction = Direction.SENDRECV
    sections: list[list[str]] = []
    for line in lines[1:]:
        kind, sep, value = line.partition("=")
        if not sep or len(kind) != 1:
            raise RemoteProtocolError(f"bad SDP line {line[:80]!r}")
        if kind == "m":
            if len(sections) == MAX_MEDIA:
                raise RemoteProtocolError(f"more than {MAX_MEDIA} media in SDP")
            sections.append([value])
        elif sections:
            if kind == "a":
                sections[-1].append(value)
        elif kind == "s":
            session_name = value
        elif kind == "a" and value in _DIRECTIONS:
            session_direction = Direction(value)
    return SessionDescription(session_name, tuple(_media(s, session_direction) for s in sections))


def _media(section: list[str], default: Direction) -> MediaDescription:
    media, port, proto, formats = _media_line(section[0])
    direction = default
    encodings: list[str] = []
    control = ""
    for attribute in section[1:]:
        name, _, value = attribute.partition(":")
        if attribute in _DIRECTIONS:
            direction = Direction(attribute)
        elif name == "rtpmap":
            _, _, encoding = value.partition(" ")
            encodings.append(encoding.strip())
        elif name == "control":
            control = value.strip()
    return MediaDescription(media, port, proto, formats, direction, tuple(encodings), control)
