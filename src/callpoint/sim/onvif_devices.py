"""ONVIF descriptions of the simulated intercoms and cameras (pure: plans to DeviceConfig).

Tokens are fixed names so tests, docs and VMS rules can refer to them:
an intercom has the digital inputs `CallButton` and `Tamper`, the relay output
`DoorRelay` (monostable, 3 s) and the door `Door1`; a PTZ camera has the site's presets.
"""

from __future__ import annotations

from callpoint.onvif.server import (
    DeviceConfig,
    DeviceIdentity,
    DeviceProfile,
    DeviceUser,
    DigitalInputConfig,
    DoorConfig,
    MediaProfile,
    PTZPreset,
    PTZVector,
    RelayMode,
    RelayOutputConfig,
)
from callpoint.sim.media.pipeline import FRAME_RATE_FPS, VIDEO_HEIGHT_PX, VIDEO_WIDTH_PX
from callpoint.sim.plan import CameraPlan, DevicePlan, SimKind

CALL_BUTTON = "CallButton"
TAMPER_INPUT = "Tamper"
DOOR_RELAY = "DoorRelay"
DOOR = "Door1"
PROFILE_TOKEN = "Profile_1"  # noqa: S105 - an ONVIF token
#: How long the intercom's door relay stays active after a pulse, in seconds.
DOOR_PULSE_S = 3.0

_MODELS = {
    SimKind.INTERCOM: "Virtual Video Intercom",
    SimKind.PTZ_CAMERA: "Virtual PTZ Camera",
    SimKind.CAMERA: "Virtual Fixed Camera",
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
    if camera is None or plan.kind not in _MODELS:
        raise ValueError(f"{plan.device_id} ({plan.kind}) is not an ONVIF video device")
    profile = MediaProfile(
        PROFILE_TOKEN,
        "Main stream",
        width=VIDEO_WIDTH_PX,
        height=VIDEO_HEIGHT_PX,
        framerate=FRAME_RATE_FPS,
        bitrate_kbps=400,
        stream_uri=stream_uri,
        snapshot_uri=snapshot_uri,
        with_ptz=camera.ptz,
    )
    intercom = plan.kind is SimKind.INTERCOM
    profiles = (DeviceProfile.S, DeviceProfile.T)
    return DeviceConfig(
        device_id=plan.device_id,
        identity=DeviceIdentity(
            "callpoint", _MODELS[plan.kind], "1.0", f"SIM-{plan.device_id}", "callpoint-sim"
        ),
        users=(DeviceUser(username, password),),
        profiles=(*profiles, DeviceProfile.C) if intercom else profiles,
        name=plan.device_id,
        location=plan.location,
        media_profiles=(profile,),
        ptz_presets=preset_positions(camera) if camera.ptz else None,
        relays=(RelayOutputConfig(DOOR_RELAY, RelayMode.MONOSTABLE, DOOR_PULSE_S),)
        if intercom
        else (),
        inputs=(DigitalInputConfig(CALL_BUTTON), DigitalInputConfig(TAMPER_INPUT))
        if intercom
        else (),
        doors=(DoorConfig(DOOR, "Gate door", access_time_s=DOOR_PULSE_S),) if intercom else (),
    )
