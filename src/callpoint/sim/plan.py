"""What the simulator builds for a site (pure: config in, a list of device plans out).

Every device and camera of the site becomes one simulated device. A camera that a video
intercom names (`camera:`) is the intercom's own camera, so it is served by the intercom
rather than as a device of its own. Two VMS receivers stand in for the site's VMS.
Bridged phones (`bridge: onvif`) are simulated as phones; the bridge itself is served by
`callpoint serve`, not by the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from callpoint.config.models import CameraConfig, CameraKind, DeviceKind, SiteConfig
from callpoint.model import EventType


class SimKind(StrEnum):
    """The `kind` of a simulated device, as printed by `callpoint simulate --json`."""

    INTERCOM = "intercom"
    PTZ_CAMERA = "ptz_camera"
    CAMERA = "camera"
    PHONE = "phone"
    IO_MODULE = "io_module"
    VMS = "vms"


class VmsFlavour(StrEnum):
    """Which VMS interface a receiver imitates."""

    MILESTONE = "milestone"  # XProtect generic events: raw text over TCP
    NX = "nx"  # Nx Witness HTTP API: /api/createEvent


#: Ids of the VMS receivers every simulated site has.
VMS_RECEIVERS: tuple[tuple[str, VmsFlavour], ...] = (
    ("VMS-MILESTONE", VmsFlavour.MILESTONE),
    ("VMS-NX", VmsFlavour.NX),
)

#: What each kind can be made to do with `callpoint press DEVICE EVENT`.
PRESSABLE: dict[SimKind, tuple[EventType, ...]] = {
    SimKind.PHONE: (
        EventType.OFF_HOOK,
        EventType.CALL_CONNECTED,
        EventType.CALL_ENDED,
        EventType.SOS,
        EventType.SOS_CLEARED,
        EventType.TAMPER,
    ),
    SimKind.INTERCOM: (EventType.BUTTON_PRESS, EventType.DOOR_OPEN, EventType.TAMPER),
    SimKind.IO_MODULE: (EventType.INPUT_ACTIVE, EventType.INPUT_INACTIVE),
    SimKind.PTZ_CAMERA: (EventType.MOTION,),
    SimKind.CAMERA: (EventType.MOTION,),
    SimKind.VMS: (),
}

#: Discrete inputs and coils a simulated I/O module has when the site wires fewer.
IO_MIN_CHANNELS = 8


@dataclass(frozen=True, slots=True)
class CameraPlan:
    """A camera to stream: id, presets (token -> name), home preset token."""

    camera_id: str
    ptz: bool
    presets: tuple[tuple[str, str], ...] = ()
    home_preset: str | None = None


@dataclass(frozen=True, slots=True)
class DevicePlan:
    """One simulated device."""

    device_id: str
    kind: SimKind
    location: str = ""
    camera: CameraPlan | None = None
    io_inputs: int = 0
    vms: VmsFlavour | None = None

    @property
    def events(self) -> tuple[EventType, ...]:
        """Event types `press` accepts for this device."""
        return PRESSABLE[self.kind]


def _camera_plan(camera: CameraConfig) -> CameraPlan:
    return CameraPlan(
        camera.id,
        camera.kind is CameraKind.PTZ,
        tuple(camera.presets.items()),
        camera.home_preset,
    )


def plan_site(config: SiteConfig) -> list[DevicePlan]:
    """Every device, camera and VMS receiver the simulator runs, in config order."""
    cameras = {c.id: c for c in config.cameras}
    locations: dict[str, str] = {}
    for loc in config.locations:
        for cam in loc.cameras:
            locations.setdefault(cam, loc.tag)
    intercom_cams = {d.camera for d in config.devices if d.kind is DeviceKind.INTERCOM}
    wired: dict[str, int] = {}
    for dev in config.devices:
        for channel in dev.io:
            wired[channel.module] = max(wired.get(channel.module, 0), channel.input + 1)
    plans: list[DevicePlan] = []
    for dev in config.devices:
        match dev.kind:
            case DeviceKind.PHONE | DeviceKind.CALL_POINT:
                plans.append(DevicePlan(dev.id, SimKind.PHONE, dev.location))
            case DeviceKind.INTERCOM:
                cam_cfg = cameras.get(dev.camera) if dev.camera else None
                own = _camera_plan(cam_cfg) if cam_cfg else CameraPlan(f"{dev.id}-CAM", False)
                plans.append(DevicePlan(dev.id, SimKind.INTERCOM, dev.location, own))
            case DeviceKind.IO_MODULE:
                inputs = max(IO_MIN_CHANNELS, wired.get(dev.id, 0))
                plans.append(DevicePlan(dev.id, SimKind.IO_MODULE, dev.location, io_inputs=inputs))
    for camera in config.cameras:
        if camera.id in intercom_cams:
            continue
        kind = SimKind.PTZ_CAMERA if camera.kind is CameraKind.PTZ else SimKind.CAMERA
        plans.append(
            DevicePlan(camera.id, kind, locations.get(camera.id, ""), _camera_plan(camera))
        )
    plans += [DevicePlan(vid, SimKind.VMS, vms=flavour) for vid, flavour in VMS_RECEIVERS]
    return plans
