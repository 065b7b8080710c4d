"""PTZ service (tptz, ver20): presets, home position, status, stop.

ONVIF PTZ Service Specification. Positions are in the device's generic spaces (pan and
tilt -1..1, zoom 0..1) unless the device says otherwise; we carry them as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callpoint.onvif.errors import LocalProtocolError, RemoteProtocolError
from callpoint.onvif.namespaces import TPTZ, TT
from callpoint.onvif.request import Request, request
from callpoint.onvif.xmlutil import (
    Element,
    child,
    children,
    expect,
    make,
    need_text,
    text,
    to_datetime,
    to_float,
)


@dataclass(frozen=True, slots=True)
class PTZVector:
    """A position or speed: pan, tilt, zoom (None where the device gave none)."""

    pan: float | None = None
    tilt: float | None = None
    zoom: float | None = None


@dataclass(frozen=True, slots=True)
class Preset:
    """tt:PTZPreset."""

    token: str
    name: str
    position: PTZVector | None = None


@dataclass(frozen=True, slots=True)
class PTZStatus:
    """tt:PTZStatus."""

    position: PTZVector | None
    pan_tilt_moving: bool | None
    zoom_moving: bool | None
    error: str | None
    utc_time: datetime | None


def _vector(el: Element | None) -> PTZVector | None:
    if el is None:
        return None
    pt, zoom = child(el, "PanTilt"), child(el, "Zoom")
    return PTZVector(
        pan=to_float(pt.get("x")) if pt is not None else None,
        tilt=to_float(pt.get("y")) if pt is not None else None,
        zoom=to_float(zoom.get("x")) if zoom is not None else None,
    )


def _speed(speed: PTZVector | None) -> Element | None:
    if speed is None:
        return None
    el = make(f"{{{TPTZ}}}Speed")
    if speed.pan is not None or speed.tilt is not None:
        el.append(make(f"{{{TT}}}PanTilt", x=repr(speed.pan or 0.0), y=repr(speed.tilt or 0.0)))
    if speed.zoom is not None:
        el.append(make(f"{{{TT}}}Zoom", x=repr(speed.zoom)))
    return el


def _profile(token: str) -> Element:
    if not token:
        raise LocalProtocolError("profile token is empty")
    return make(f"{{{TPTZ}}}ProfileToken", text=token)


def get_presets(profile_token: str) -> Request:
    """GetPresets."""
    return request(TPTZ, "GetPresets", _profile(profile_token))


def parse_presets(body: Element | None) -> tuple[Preset, ...]:
    """Parse GetPresetsResponse."""
    out = []
    for p in children(expect(body, "GetPresetsResponse"), "Preset"):
        token = p.get("token")
        if not token:
            raise RemoteProtocolError("PTZ preset without token")
        out.append(Preset(token, text(p, "Name") or "", _vector(child(p, "PTZPosition"))))
    return tuple(out)


def goto_preset(profile_token: str, preset_token: str, speed: PTZVector | None = None) -> Request:
    """GotoPreset."""
    if not preset_token:
        raise LocalProtocolError("preset token is empty")
    return request(
        TPTZ,
        "GotoPreset",
        _profile(profile_token),
        make(f"{{{TPTZ}}}PresetToken", text=preset_token),
        _speed(speed),
    )


def goto_home_position(profile_token: str, speed: PTZVector | None = None) -> Request:
    """GotoHomePosition."""
    return request(TPTZ, "GotoHomePosition", _profile(profile_token), _speed(speed))


def set_preset(
    profile_token: str, name: str | None = None, preset_token: str | None = None
) -> Request:
    """SetPreset: a new preset (no token) or overwrite ``preset_token`` at the current view."""
    return request(
        TPTZ,
        "SetPreset",
        _profile(profile_token),
        make(f"{{{TPTZ}}}PresetName", text=name) if name is not None else None,
        make(f"{{{TPTZ}}}PresetToken", text=preset_token) if preset_token else None,
    )


def parse_set_preset(body: Element | None) -> str:
    """The token of the preset just stored."""
    return need_text(expect(body, "SetPresetResponse"), "PresetToken")


def remove_preset(profile_token: str, preset_token: str) -> Request:
    """RemovePreset."""
    return request(
        TPTZ,
        "RemovePreset",
        _profile(profile_token),
        make(f"{{{TPTZ}}}PresetToken", text=preset_token),
    )


def get_status(profile_token: str) -> Request:
    """GetStatus."""
    return request(TPTZ, "GetStatus", _profile(profile_token))


def _moving(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.upper() == "MOVING"


def parse_status(body: Element | None) -> PTZStatus:
    """Parse GetStatusResponse."""
    st = child(expect(body, "GetStatusResponse"), "PTZStatus")
    if st is None:
        raise RemoteProtocolError("GetStatusResponse lacks PTZStatus")
    return PTZStatus(
        position=_vector(child(st, "Position")),
        pan_tilt_moving=_moving(text(st, "MoveStatus", "PanTilt")),
        zoom_moving=_moving(text(st, "MoveStatus", "Zoom")),
        error=text(st, "Error") or None,
        utc_time=to_datetime(text(st, "UtcTime")),
    )


def stop(profile_token: str, pan_tilt: bool = True, zoom: bool = True) -> Request:
    """Stop ongoing movement."""
    return request(
        TPTZ,
        "Stop",
        _profile(profile_token),
        make(f"{{{TPTZ}}}PanTilt", text="true" if pan_tilt else "false"),
        make(f"{{{TPTZ}}}Zoom", text="true" if zoom else "false"),
    )
