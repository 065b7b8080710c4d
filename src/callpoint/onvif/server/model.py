"""Configuration values of a virtual ONVIF device: who it is and what it has.

Everything here is frozen data. The changing state (relay states, PTZ position, door
modes) lives in `VirtualDevice` (device.py), which is built from these values.
Element names follow the ONVIF schema (onvif.xsd) so the service modules map 1:1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class UserLevel(StrEnum):
    """tt:UserLevel (the ONVIF Core access policy maps these onto access classes)."""

    ADMINISTRATOR = "Administrator"
    OPERATOR = "Operator"
    USER = "User"
    ANONYMOUS = "Anonymous"


class RelayMode(StrEnum):
    """tt:RelayMode: bistable holds the state, monostable falls back after DelayTime."""

    MONOSTABLE = "Monostable"
    BISTABLE = "Bistable"


class RelayIdleState(StrEnum):
    """tt:RelayIdleState: the electrical state of the contact when inactive."""

    CLOSED = "closed"
    OPEN = "open"


class RelayLogicalState(StrEnum):
    """tt:RelayLogicalState, as SetRelayOutputState takes it."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class DoorMode(StrEnum):
    """tdc:DoorMode (ONVIF Door Control Service Specification 6.4)."""

    LOCKED = "Locked"
    UNLOCKED = "Unlocked"
    ACCESSED = "Accessed"


class DeviceProfile(StrEnum):
    """ONVIF profiles announced in scopes (onvif://www.onvif.org/Profile/<X>)."""

    S = "Streaming"
    T = "T"
    G = "G"
    C = "C"
    A = "A"


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What GetDeviceInformation answers."""

    manufacturer: str
    model: str
    firmware_version: str
    serial_number: str
    hardware_id: str


@dataclass(frozen=True, slots=True)
class DeviceUser:
    """One account of the device (tt:User); the password is kept for digest checks."""

    username: str
    password: str
    level: UserLevel = UserLevel.ADMINISTRATOR


@dataclass(frozen=True, slots=True)
class MediaProfile:
    """One media profile (tt:Profile) and the URIs the media server gives it.

    `stream_uri` and `snapshot_uri` are injected by whoever runs the RTSP server; the
    device only reports them.
    """

    token: str
    name: str
    width: int = 1280
    height: int = 720
    framerate: int = 25
    bitrate_kbps: int = 2048
    encoding: str = "H264"
    stream_uri: str = "rtsp://127.0.0.1:8554/stream"
    snapshot_uri: str = ""
    video_source_token: str = "VideoSource_1"  # noqa: S105 - ONVIF token
    with_ptz: bool = False
    with_audio_output: bool = False


@dataclass(frozen=True, slots=True)
class PTZVector:
    """A PTZ position in the generic spaces: pan, tilt in [-1, 1], zoom in [0, 1]."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0

    def __post_init__(self) -> None:
        if not (-1.0 <= self.pan <= 1.0 and -1.0 <= self.tilt <= 1.0 and 0.0 <= self.zoom <= 1.0):
            raise ValueError(f"PTZ position out of the generic space: {self}")


@dataclass(frozen=True, slots=True)
class PTZPreset:
    """tt:PTZPreset."""

    token: str
    name: str
    position: PTZVector


@dataclass(frozen=True, slots=True)
class RelayOutputConfig:
    """tt:RelayOutput: token and settings (mode, delay, idle state)."""

    token: str
    mode: RelayMode = RelayMode.BISTABLE
    delay_time_s: float = 1.0
    idle_state: RelayIdleState = RelayIdleState.OPEN


@dataclass(frozen=True, slots=True)
class DigitalInputConfig:
    """tt:DigitalInput: token and idle state of the contact.

    `extra_source` adds Source items after `InputToken` in every event of this input
    (the bridge puts the phone's location tag there); VMS drivers key on InputToken.
    """

    token: str
    idle_state: RelayIdleState = RelayIdleState.OPEN
    extra_source: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DoorConfig:
    """tdc:DoorInfo plus how long an AccessDoor keeps the door released."""

    token: str
    name: str
    description: str = ""
    access_time_s: float = 5.0


class IrCutFilterMode(StrEnum):
    """tt:IrCutFilterMode."""

    ON = "ON"
    OFF = "OFF"
    AUTO = "AUTO"


@dataclass(frozen=True, slots=True)
class ImagingSettings:
    """The tt:ImagingSettings20 values a virtual camera keeps (0-100 scales)."""

    brightness: float = 50.0
    color_saturation: float = 50.0
    contrast: float = 50.0
    sharpness: float = 50.0
    ir_cut_filter: IrCutFilterMode = IrCutFilterMode.AUTO

    def __post_init__(self) -> None:
        for name in ("brightness", "color_saturation", "contrast", "sharpness"):
            value = getattr(self, name)
            if not 0.0 <= value <= 100.0:
                raise ValueError(f"{name} {value} outside 0-100")


#: Most presets a PTZ node accepts (tt:PTZNode MaximumNumberOfPresets).
MAX_PTZ_PRESETS = 64


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """Everything needed to build a `VirtualDevice`."""

    device_id: str
    identity: DeviceIdentity
    users: tuple[DeviceUser, ...]
    profiles: tuple[DeviceProfile, ...] = (DeviceProfile.S,)
    name: str = ""
    location: str = ""
    hardware_scope: str = ""
    media_profiles: tuple[MediaProfile, ...] = ()
    ptz_presets: tuple[PTZPreset, ...] | None = None
    relays: tuple[RelayOutputConfig, ...] = ()
    inputs: tuple[DigitalInputConfig, ...] = ()
    doors: tuple[DoorConfig, ...] = ()
    extra_scopes: tuple[str, ...] = field(default=())

    @property
    def has_ptz(self) -> bool:
        """Whether the device has a PTZ node (presets may still be empty)."""
        return self.ptz_presets is not None
