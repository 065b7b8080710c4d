"""Device configurations the server tests use."""

from __future__ import annotations

from callpoint.onvif.server.model import (
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
    UserLevel,
)

ADMIN = "admin"
ADMIN_PW = "s3cret-Pass"
VIEWER = "viewer"
VIEWER_PW = "view-only-1"


def ptz_intercom(device_id: str = "gate-1") -> DeviceConfig:
    """An intercom with a PTZ camera, a call button, a door relay and a door."""
    return DeviceConfig(
        device_id=device_id,
        identity=DeviceIdentity("callpoint", "Virtual Intercom", "1.2.3", "SN-0001", "HW-7"),
        users=(
            DeviceUser(ADMIN, ADMIN_PW, UserLevel.ADMINISTRATOR),
            DeviceUser(VIEWER, VIEWER_PW, UserLevel.USER),
        ),
        profiles=(DeviceProfile.S, DeviceProfile.T, DeviceProfile.C),
        name="Main gate",
        location="GATE-MAIN",
        media_profiles=(
            MediaProfile(
                "main",
                "Main stream",
                stream_uri="rtsp://127.0.0.1:8554/gate-1",
                snapshot_uri="http://127.0.0.1:8080/gate-1.jpg",
                with_ptz=True,
                with_audio_output=True,
            ),
            MediaProfile("sub", "Sub stream", width=640, height=360, with_ptz=True),
        ),
        ptz_presets=(
            PTZPreset("1", "Gate", PTZVector(0.25, 0.1, 0.0)),
            PTZPreset("2", "Fence", PTZVector(-0.5, 0.0, 0.5)),
        ),
        relays=(RelayOutputConfig("door-relay", RelayMode.MONOSTABLE, 0.5),),
        inputs=(DigitalInputConfig("call-button"), DigitalInputConfig("tamper")),
        doors=(DoorConfig("door-1", "Gate door", access_time_s=0.5),),
    )
