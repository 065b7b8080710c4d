"""The two kinds of RTSP error (STYLE.md): our misuse and the peer's bad input."""

from __future__ import annotations


class LocalProtocolError(ValueError):
    """We were asked to build something RTSP cannot carry (a bug on our side)."""


class RemoteProtocolError(ValueError):
    """The server sent bytes that are not a well-formed RTSP response or SDP body."""
