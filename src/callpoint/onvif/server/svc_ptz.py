"""PTZ service (ver20, ptz.wsdl): node, configuration, presets, home, status.

Moves are instantaneous: the virtual camera is at its target when the call returns, so
GetStatus reports IDLE and the new position, and preset observers run before the reply.
"""

from __future__ import annotations

import math

from lxml import etree

from callpoint.onvif.errors import InvalidArgsFault
from callpoint.onvif.namespaces import TER, TPTZ, TT, qname
from callpoint.onvif.server.device import PTZ_CONFIGURATION_TOKEN, PTZ_NODE_TOKEN
from callpoint.onvif.server.dispatch import AccessClass, Reply, Request, Service, operation
from callpoint.onvif.server.model import MAX_PTZ_PRESETS, PTZVector
from callpoint.onvif.server.svc_media import (
    PAN_TILT_POSITION_SPACE,
    ZOOM_POSITION_SPACE,
    ptz_configuration,
)
from callpoint.onvif.server.xmlbuild import child, opt_text, req_text, root, sub, xfloat
from callpoint.onvif.server.xsdtime import format_datetime

_TPTZ_SPACES = "http://www.onvif.org/ver10/tptz"
PAN_TILT_TRANSLATION_SPACE = f"{_TPTZ_SPACES}/PanTiltSpaces/TranslationGenericSpace"
ZOOM_TRANSLATION_SPACE = f"{_TPTZ_SPACES}/ZoomSpaces/TranslationGenericSpace"


def _ptz_profile(req: Request) -> None:
    """Check ProfileToken names a profile with PTZ (ter:NoProfile / ter:NoPTZProfile)."""
    token = req_text(req.body, "ProfileToken")
    dev = req.runtime.device
    profile = dev.media_profiles.get(token)
    if profile is None:
        raise InvalidArgsFault(
            f"no profile {token!r}", subcodes=(qname(TER, "InvalidArgVal"), qname(TER, "NoProfile"))
        )
    if not (dev.config.has_ptz and profile.with_ptz):
        raise InvalidArgsFault(
            f"profile {token!r} has no PTZ configuration",
            subcodes=(qname(TER, "InvalidArgVal"), qname(TER, "NoPTZProfile")),
        )


def _vector(parent: etree._Element, local: str, v: PTZVector) -> None:
    vec = sub(parent, TT, local)
    sub(vec, TT, "PanTilt", x=xfloat(v.pan), y=xfloat(v.tilt), space=PAN_TILT_POSITION_SPACE)
    sub(vec, TT, "Zoom", x=xfloat(v.zoom), space=ZOOM_POSITION_SPACE)


def _range(parent: etree._Element, local: str, low: float, high: float) -> None:
    r = sub(parent, TT, local)
    sub(r, TT, "Min", xfloat(low))
    sub(r, TT, "Max", xfloat(high))


def _spaces(parent: etree._Element, local: str) -> None:
    """tt:PTZSpaces: absolute positions and relative translations, generic spaces."""
    spaces = sub(parent, TT, local)
    pan_tilt = sub(spaces, TT, "AbsolutePanTiltPositionSpace")
    sub(pan_tilt, TT, "URI", PAN_TILT_POSITION_SPACE)
    _range(pan_tilt, "XRange", -1, 1)
    _range(pan_tilt, "YRange", -1, 1)
    zoom = sub(spaces, TT, "AbsoluteZoomPositionSpace")
    sub(zoom, TT, "URI", ZOOM_POSITION_SPACE)
    _range(zoom, "XRange", 0, 1)
    pan_tilt = sub(spaces, TT, "RelativePanTiltTranslationSpace")
    sub(pan_tilt, TT, "URI", PAN_TILT_TRANSLATION_SPACE)
    _range(pan_tilt, "XRange", -1, 1)
    _range(pan_tilt, "YRange", -1, 1)
    zoom = sub(spaces, TT, "RelativeZoomTranslationSpace")
    sub(zoom, TT, "URI", ZOOM_TRANSLATION_SPACE)
    _range(zoom, "XRange", -1, 1)


def _node(parent: etree._Element, local: str) -> None:
    node = sub(parent, TPTZ, local, token=PTZ_NODE_TOKEN, FixedHomePosition="true")
    sub(node, TT, "Name", PTZ_NODE_TOKEN)
    _spaces(node, "SupportedPTZSpaces")
    sub(node, TT, "MaximumNumberOfPresets", str(MAX_PTZ_PRESETS))
    sub(node, TT, "HomeSupported", "true")


@operation(Service.PTZ, qname(TPTZ, "GetNodes"), AccessClass.READ_MEDIA)
async def get_nodes(req: Request) -> Reply:
    """The single PTZ node."""
    body = root(TPTZ, "GetNodesResponse")
    _node(body, "PTZNode")
    return Reply(body)


@operation(Service.PTZ, qname(TPTZ, "GetNode"), AccessClass.READ_MEDIA)
async def get_node(req: Request) -> Reply:
    """The PTZ node by token."""
    token = req_text(req.body, "NodeToken")
    if token != PTZ_NODE_TOKEN:
        raise InvalidArgsFault(f"no PTZ node {token!r}", subcodes=(qname(TER, "NoEntity"),))
    body = root(TPTZ, "GetNodeResponse")
    _node(body, "PTZNode")
    return Reply(body)


@operation(Service.PTZ, qname(TPTZ, "GetConfigurations"), AccessClass.READ_MEDIA)
async def get_configurations(req: Request) -> Reply:
    """The single PTZ configuration."""
    body = root(TPTZ, "GetConfigurationsResponse")
    ptz_configuration(body, TPTZ, "PTZConfiguration")
    return Reply(body)


@operation(Service.PTZ, qname(TPTZ, "GetConfiguration"), AccessClass.READ_MEDIA)
async def get_configuration(req: Request) -> Reply:
    """The PTZ configuration by token."""
    token = req_text(req.body, "PTZConfigurationToken")
    if token != PTZ_CONFIGURATION_TOKEN:
        raise InvalidArgsFault(
            f"no PTZ configuration {token!r}", subcodes=(qname(TER, "NoConfig"),)
        )
    body = root(TPTZ, "GetConfigurationResponse")
    ptz_configuration(body, TPTZ, "PTZConfiguration")
    return Reply(body)


@operation(Service.PTZ, qname(TPTZ, "GetConfigurationOptions"), AccessClass.READ_MEDIA)
async def get_configuration_options(req: Request) -> Reply:
    """The spaces and timeouts the PTZ configuration accepts (what Home Assistant asks)."""
    token = req_text(req.body, "ConfigurationToken")
    if token != PTZ_CONFIGURATION_TOKEN:
        raise InvalidArgsFault(
            f"no PTZ configuration {token!r}", subcodes=(qname(TER, "NoConfig"),)
        )
    body = root(TPTZ, "GetConfigurationOptionsResponse")
    options = sub(body, TPTZ, "PTZConfigurationOptions")
    _spaces(options, "Spaces")
    timeout = sub(options, TT, "PTZTimeout")
    sub(timeout, TT, "Min", "PT1S")
    sub(timeout, TT, "Max", "PT60S")
    return Reply(body)


@operation(Service.PTZ, qname(TPTZ, "RelativeMove"), AccessClass.ACTUATE)
async def relative_move(req: Request) -> Reply:
    """Move by a translation in the generic spaces; the result is clamped to the range."""
    _ptz_profile(req)
    translation = child(req.body, "Translation")
    if translation is None:
        raise InvalidArgsFault("missing Translation")
    dev = req.runtime.device
    pan, tilt, zoom = dev.position.pan, dev.position.tilt, dev.position.zoom
    try:
        pt = child(translation, "PanTilt")
        if pt is not None:
            pan += float(pt.get("x", 0))
            tilt += float(pt.get("y", 0))
        z = child(translation, "Zoom")
        if z is not None:
            zoom += float(z.get("x", 0))
    except ValueError as exc:
        raise InvalidArgsFault(f"bad translation: {exc}") from exc
    if not all(math.isfinite(v) for v in (pan, tilt, zoom)):
        raise InvalidArgsFault("translation is not finite")
    dev.move_to(PTZVector(_clamp(pan, -1, 1), _clamp(tilt, -1, 1), _clamp(zoom, 0, 1)))
    return Reply(root(TPTZ, "RelativeMoveResponse"))


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


@operation(Service.PTZ, qname(TPTZ, "GetPresets"), AccessClass.READ_MEDIA)
async def get_presets(req: Request) -> Reply:
    """Every preset with its position."""
    _ptz_profile(req)
    body = root(TPTZ, "GetPresetsResponse")
    for preset in req.runtime.device.presets.values():
        entry = sub(body, TPTZ, "Preset", token=preset.token)
        sub(entry, TT, "Name", preset.name)
        _vector(entry, "PTZPosition", preset.position)
    return Reply(body)


@operation(Service.PTZ, qname(TPTZ, "GotoPreset"), AccessClass.ACTUATE)
async def goto_preset(req: Request) -> Reply:
    """Move to a preset."""
    _ptz_profile(req)
    req.runtime.device.goto_preset(req_text(req.body, "PresetToken"))
    return Reply(root(TPTZ, "GotoPresetResponse"))


@operation(Service.PTZ, qname(TPTZ, "GotoHomePosition"), AccessClass.ACTUATE)
async def goto_home_position(req: Request) -> Reply:
    """Move to the home position."""
    _ptz_profile(req)
    req.runtime.device.goto_home()
    return Reply(root(TPTZ, "GotoHomePositionResponse"))


@operation(Service.PTZ, qname(TPTZ, "SetPreset"), AccessClass.ACTUATE)
async def set_preset(req: Request) -> Reply:
    """Store the current position as a new or existing preset."""
    _ptz_profile(req)
    token = req.runtime.device.set_preset(
        opt_text(req.body, "PresetName") or None, opt_text(req.body, "PresetToken") or None
    )
    body = root(TPTZ, "SetPresetResponse")
    sub(body, TPTZ, "PresetToken", token)
    return Reply(body)


@operation(Service.PTZ, qname(TPTZ, "RemovePreset"), AccessClass.ACTUATE)
async def remove_preset(req: Request) -> Reply:
    """Delete a preset."""
    _ptz_profile(req)
    req.runtime.device.remove_preset(req_text(req.body, "PresetToken"))
    return Reply(root(TPTZ, "RemovePresetResponse"))


@operation(Service.PTZ, qname(TPTZ, "AbsoluteMove"), AccessClass.ACTUATE)
async def absolute_move(req: Request) -> Reply:
    """Move to an absolute position in the generic spaces."""
    _ptz_profile(req)
    position = child(req.body, "Position")
    if position is None:
        raise InvalidArgsFault("missing Position")
    dev = req.runtime.device
    pan, tilt, zoom = dev.position.pan, dev.position.tilt, dev.position.zoom
    try:
        pt = child(position, "PanTilt")
        if pt is not None:
            pan, tilt = float(pt.get("x", pan)), float(pt.get("y", tilt))
        z = child(position, "Zoom")
        if z is not None:
            zoom = float(z.get("x", zoom))
        target = PTZVector(pan, tilt, zoom)
    except ValueError as exc:
        raise InvalidArgsFault(
            f"position out of range: {exc}", subcodes=(qname(TER, "InvalidPosition"),)
        ) from exc
    dev.move_to(target)
    return Reply(root(TPTZ, "AbsoluteMoveResponse"))


@operation(Service.PTZ, qname(TPTZ, "GetStatus"), AccessClass.READ_MEDIA)
async def get_status(req: Request) -> Reply:
    """Position, IDLE move status and the device time."""
    _ptz_profile(req)
    dev = req.runtime.device
    body = root(TPTZ, "GetStatusResponse")
    status = sub(body, TPTZ, "PTZStatus")
    _vector(status, "Position", dev.position)
    move = sub(status, TT, "MoveStatus")
    sub(move, TT, "PanTilt", "IDLE")
    sub(move, TT, "Zoom", "IDLE")
    sub(status, TT, "UtcTime", format_datetime(dev.clock()))
    return Reply(body)


@operation(Service.PTZ, qname(TPTZ, "Stop"), AccessClass.ACTUATE)
async def stop(req: Request) -> Reply:
    """Stop: the virtual camera never moves continuously, so there is nothing to stop."""
    _ptz_profile(req)
    return Reply(root(TPTZ, "StopResponse"))
