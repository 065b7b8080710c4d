"""Imaging service (ver20, imaging.wsdl): the settings Profile T clients read and set.

The virtual camera keeps brightness, colour saturation, contrast, sharpness and the IR
cut filter mode per video source; there is no focus motor (empty move options).
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from callpoint.onvif.errors import InvalidArgsFault
from callpoint.onvif.namespaces import TER, TIMG, TT, qname
from callpoint.onvif.server.dispatch import AccessClass, Reply, Request, Service, operation
from callpoint.onvif.server.model import ImagingSettings, IrCutFilterMode
from callpoint.onvif.server.xmlbuild import child, req_text, root, sub, xfloat

_SCALES = (
    ("Brightness", "brightness"),
    ("ColorSaturation", "color_saturation"),
    ("Contrast", "contrast"),
)


def _settings(parent: etree._Element, local: str, s: ImagingSettings) -> None:
    holder = sub(parent, TIMG, local)
    for element, attr in _SCALES:
        sub(holder, TT, element, xfloat(getattr(s, attr)))
    sub(holder, TT, "IrCutFilter", s.ir_cut_filter.value)
    sub(holder, TT, "Sharpness", xfloat(s.sharpness))


def _range(parent: etree._Element, local: str) -> None:
    r = sub(parent, TT, local)
    sub(r, TT, "Min", "0")
    sub(r, TT, "Max", "100")


@operation(Service.IMAGING, qname(TIMG, "GetImagingSettings"), AccessClass.READ_MEDIA)
async def get_imaging_settings(req: Request) -> Reply:
    """The settings of one video source."""
    current = req.runtime.device.imaging_settings(req_text(req.body, "VideoSourceToken"))
    body = root(TIMG, "GetImagingSettingsResponse")
    _settings(body, "ImagingSettings", current)
    return Reply(body)


@operation(Service.IMAGING, qname(TIMG, "SetImagingSettings"), AccessClass.ACTUATE)
async def set_imaging_settings(req: Request) -> Reply:
    """Change the settings present in the request; absent ones keep their value."""
    token = req_text(req.body, "VideoSourceToken")
    device = req.runtime.device
    current = device.imaging_settings(token)
    given = child(req.body, "ImagingSettings")
    if given is None:
        raise InvalidArgsFault("missing argument ImagingSettings")
    changes: dict[str, object] = {}
    try:
        for element, attr in (*_SCALES, ("Sharpness", "sharpness")):
            found = child(given, element)
            if found is not None:
                changes[attr] = float((found.text or "").strip())
        ir = child(given, "IrCutFilter")
        if ir is not None:
            changes["ir_cut_filter"] = IrCutFilterMode((ir.text or "").strip())
        updated = replace(current, **changes)  # type: ignore[arg-type]  # checked by __post_init__
    except ValueError as exc:
        raise InvalidArgsFault(
            f"bad imaging settings: {exc}",
            subcodes=(qname(TER, "InvalidArgVal"), qname(TER, "SettingsInvalid")),
        ) from exc
    device.set_imaging_settings(token, updated)
    return Reply(root(TIMG, "SetImagingSettingsResponse"))


@operation(Service.IMAGING, qname(TIMG, "GetOptions"), AccessClass.READ_MEDIA)
async def get_options(req: Request) -> Reply:
    """The ranges SetImagingSettings accepts."""
    req.runtime.device.imaging_settings(req_text(req.body, "VideoSourceToken"))
    body = root(TIMG, "GetOptionsResponse")
    options = sub(body, TIMG, "ImagingOptions")
    for element, _ in _SCALES:
        _range(options, element)
    for mode in IrCutFilterMode:
        sub(options, TT, "IrCutFilterModes", mode.value)
    _range(options, "Sharpness")
    return Reply(body)


@operation(Service.IMAGING, qname(TIMG, "GetMoveOptions"), AccessClass.READ_MEDIA)
async def get_move_options(req: Request) -> Reply:
    """No focus motor: no move options."""
    req.runtime.device.imaging_settings(req_text(req.body, "VideoSourceToken"))
    body = root(TIMG, "GetMoveOptionsResponse")
    sub(body, TIMG, "MoveOptions")
    return Reply(body)


@operation(Service.IMAGING, qname(TIMG, "GetStatus"), AccessClass.READ_MEDIA)
async def get_status(req: Request) -> Reply:
    """Imaging status (nothing to report without a focus motor)."""
    req.runtime.device.imaging_settings(req_text(req.body, "VideoSourceToken"))
    body = root(TIMG, "GetStatusResponse")
    sub(body, TIMG, "Status")
    return Reply(body)
