"""The readiness report of one ONVIF device: what was found, and the list of problems.

Filled in step by step by :mod:`callpoint.probe.runner`; the parts are frozen values, the
report itself an accumulator. ``as_json`` for machines, ``render`` for people.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

CLOCK_TOLERANCE_S = 5.0
"""WS-UsernameToken created times are commonly checked within ±5 s: beyond that, auth
fails on devices that check strictly, and event and recording times disagree."""


@dataclass(frozen=True, slots=True)
class StreamReport:
    """One media profile: what it declares, and what its RTSP stream decoded as."""

    profile: str
    name: str
    declared_encoding: str | None
    declared_width: int | None
    declared_height: int | None
    declared_fps: float | None
    uri: str = ""  # without password
    codec: str = ""
    width: int = 0
    height: int = 0
    fps: float | None = None
    frames: int = 0
    error: str = ""


@dataclass(frozen=True, slots=True)
class SnapshotReport:
    """GetSnapshotUri and the fetched picture."""

    profile: str
    uri: str
    status: int = 0
    content_type: str = ""
    size_bytes: int = 0
    jpeg: bool = False
    error: str = ""


@dataclass(frozen=True, slots=True)
class PortReport:
    """A port the device uses and whether it answered."""

    proto: str  # tcp or udp
    host: str
    port: int
    purpose: str
    open: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BackchannelReport:
    """Two-way audio: what the profiles declare, and what RTSP DESCRIBE offered."""

    audio_outputs: int
    profiles_with_backchannel: tuple[str, ...]
    rtsp_status: int = 0
    rtsp_offered: bool = False
    codec: str = ""
    error: str = ""


@dataclass(slots=True)
class ProbeReport:
    """Everything ``callpoint probe`` learned about one device."""

    url: str
    reached: bool = False
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware_id: str = ""
    scopes: list[str] = field(default_factory=list)
    declared_profiles: list[str] = field(default_factory=list)
    verified_profiles: dict[str, str] = field(default_factory=dict)
    clock_offset_s: float | None = None
    date_needs_auth: bool = False
    http_digest: bool = False
    services: list[str] = field(default_factory=list)
    media_service: str = ""
    streams: list[StreamReport] = field(default_factory=list)
    snapshots: list[SnapshotReport] = field(default_factory=list)
    event_topics: list[str] = field(default_factory=list)
    mapped_topics: dict[str, str] = field(default_factory=dict)
    pullpoint_messages: int | None = None
    digital_inputs: list[str] = field(default_factory=list)
    relays: list[str] = field(default_factory=list)
    doors: list[str] = field(default_factory=list)
    ptz_presets: dict[str, list[str]] = field(default_factory=dict)
    backchannel: BackchannelReport | None = None
    ports: list[PortReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        """Something that stops or weakens an integration."""
        self.problems.append(text)

    def note(self, text: str) -> None:
        """Something worth knowing that is not a problem."""
        self.notes.append(text)

    @property
    def ready(self) -> bool:
        """Reached, and no problem found."""
        return self.reached and not self.problems

    def as_json(self) -> dict[str, object]:
        """The whole report as JSON-ready values."""
        out = dataclasses.asdict(self)
        out["ready"] = self.ready
        return out


def _line(label: str, value: object) -> str:
    return f"  {label:<18} {value}"


def render(r: ProbeReport) -> str:
    """The report as text for a terminal."""
    out = [f"ONVIF readiness report for {r.url}"]
    if r.reached:
        out.append(_line("device", f"{r.manufacturer} {r.model} (firmware {r.firmware})"))
        out.append(_line("serial / hardware", f"{r.serial} / {r.hardware_id}"))
        offset = f"{r.clock_offset_s:+.2f} s" if r.clock_offset_s is not None else "unknown"
        out.append(_line("clock offset", offset))
        out.append(_line("declared profiles", ", ".join(r.declared_profiles) or "none"))
        for letter, verdict in sorted(r.verified_profiles.items()):
            out.append(_line(f"  Profile {letter}", verdict))
        out.append(_line("media service", r.media_service or "none"))
        for s in r.streams:
            got = (
                f"{s.codec} {s.width}x{s.height} {s.fps or 0:.1f} fps, {s.frames} frames"
                if not s.error
                else f"FAILED: {s.error}"
            )
            out.append(_line(f"stream {s.profile}", f"{s.uri} -> {got}"))
        for p in r.snapshots:
            got = f"{p.size_bytes} bytes {p.content_type}" if not p.error else p.error
            out.append(_line(f"snapshot {p.profile}", f"{p.uri} -> {got}"))
        out.append(_line("event topics", f"{len(r.event_topics)}"))
        for topic, kind in sorted(r.mapped_topics.items()):
            out.append(_line("", f"{topic} -> {kind}"))
        out.append(_line("digital inputs", ", ".join(r.digital_inputs) or "none"))
        out.append(_line("relays", ", ".join(r.relays) or "none"))
        out.append(_line("doors", ", ".join(r.doors) or "none"))
        for profile, presets in r.ptz_presets.items():
            out.append(_line(f"PTZ {profile}", ", ".join(presets) or "no presets"))
        if r.backchannel is not None:
            b = r.backchannel
            offered = f"offered ({b.codec})" if b.rtsp_offered else "not offered"
            out.append(_line("audio backchannel", f"{b.audio_outputs} outputs, RTSP {offered}"))
        for port in r.ports:
            state = "open" if port.open else f"closed ({port.detail})"
            out.append(_line(f"{port.proto}/{port.port}", f"{port.host} {port.purpose}: {state}"))
    for note in r.notes:
        out.append(f"  note: {note}")
    if r.problems:
        out.append(f"{len(r.problems)} problem(s):")
        out += [f"  - {p}" for p in r.problems]
    else:
        out.append("no problems found")
    return "\n".join(out)
