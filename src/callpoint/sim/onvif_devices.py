"""ONVIF descriptions of the simulated intercoms and cameras, built on the device
server's own kinds (`make_config`), so the simulator, the bridge and
`python -m callpoint.onvif.server` present the same devices.

Tokens (fixed by `make_config`, repeated here for tests, docs and VMS rules): an intercom
has the digital inputs `call-button` and `tamper`, the monostable relay `door-relay` and
the door `door`; every camera has the media profile `main`; a PTZ camera has the site's
presets.
"""

from __future__ import annotations

from dataclasses import replace

from callpoint.onvif.server import (
    DeviceConfig,
    DeviceKind,
    DeviceUser,
    PTZPreset,
    PTZVector,
    make_config,
)
from callpoint.sim.media.pipeline import FRAME_RATE_FPS, VIDEO_HEIGHT_PX, VIDEO_WIDTH_PX
from callpoint.sim.plan import CameraPlan, DevicePlan, SimKind

CALL_BUTTON = "call-button"
TAMPER_INPUT = "tamper"
DOOR_RELAY = "door-relay"
DOOR = "door"
PROFILE_TOKEN = "main"  # noqa: S105 - an ONVIF token

_KINDS = {
    SimKind.INTERCOM: DeviceKind.INTERCOM,
    SimKind.PTZ_CAMERA: DeviceKind.PTZ_CAMERA,
    SimKind.CAMERA: DeviceKind.CAMERA,
}


def preset_positions(camera: CameraPlan) -> tuple[PTZPreset, ...]:
    """The camera's presets, spread over the pan range so each is a distinct position."""
    count = max(len(camera.presets), 1)
    return tuple(
        PTZPreset(token, name, PTZVector(round(-0.9 + 1.8 * i / count, 3), 0.0, 0.0))
        for i, (token, name) in enumerate(camera.presets)
    )


def device_config(
    plan: DevicePlan, username: str, password: str, stream_uri: str, snapshot_uri: str
) -> DeviceConfig:
    """The ONVIF device of an intercom or camera plan."""
    camera = plan.camera
    kind = _KINDS.get(plan.kind)
    if camera is None or kind is None:
        raise ValueError(f"{plan.device_id} ({plan.kind}) is not an ONVIF video device")
    config = make_config(
        kind,
        plan.device_id,
        (DeviceUser(username, password),),
        name=plan.device_id,
        location=plan.location,
        stream_uri=stream_uri,
        snapshot_uri=snapshot_uri,
        presets=preset_positions(camera) if camera.ptz else (),
    )
    # The stream the media child really sends, so a VMS sizes its decoder right.
    media = tuple(
        replace(p, width=VIDEO_WIDTH_PX, height=VIDEO_HEIGHT_PX, framerate=FRAME_RATE_FPS)
        for p in config.media_profiles
    )
    return replace(config, media_profiles=media)
