"""Ready-made configurations for the device kinds callpoint simulates and bridges.

Each kind claims the ONVIF profiles its services warrant (scopes `Profile/<X>`):
S and T need video and events; C needs door control with access points. No kind claims
G (no recording) or A (no credential or schedule management).
"""

from __future__ import annotations

from enum import StrEnum

from callpoint.onvif.server.model import (
    DeviceConfig,
    DeviceIdentity,
    DeviceProfile,
    DeviceUser,
    DigitalInputConfig,
    DoorConfig,
    MediaProfile,
    PTZPreset,
    RelayMode,
    RelayOutputConfig,
)

MANUFACTURER = "callpoint"
FIRMWARE = "1.0"


class DeviceKind(StrEnum):
    """The virtual device kinds (the `kind` of `callpoint simulate --json`)."""

    INTERCOM = "intercom"
    PTZ_CAMERA = "ptz_camera"
    CAMERA = "camera"
    PHONE = "phone"
    IO_MODULE = "io_module"


#: Digital inputs of a bridged phone, one per event a VMS acts on.
PHONE_INPUTS = ("off_hook", "call_connected", "sos", "tamper")


def profiles_for(*, video: bool, doors: bool) -> tuple[DeviceProfile, ...]:
    """The profiles a device with these services may claim."""
    claimed = [DeviceProfile.S, DeviceProfile.T] if video else []
    if doors:
        claimed.append(DeviceProfile.C)
    return tuple(claimed)


def _identity(kind: DeviceKind, device_id: str) -> DeviceIdentity:
    model = {
        DeviceKind.INTERCOM: "Virtual Video Intercom",
        DeviceKind.PTZ_CAMERA: "Virtual PTZ Camera",
        DeviceKind.CAMERA: "Virtual Camera",
        DeviceKind.PHONE: "Bridged Emergency Phone",
        DeviceKind.IO_MODULE: "Virtual I/O Module",
    }[kind]
    return DeviceIdentity(MANUFACTURER, model, FIRMWARE, f"CP-{device_id}", kind.value)


def _media(
    device_id: str, stream_uri: str | None, snapshot_uri: str, ptz: bool
) -> tuple[MediaProfile, ...]:
    uri = stream_uri or f"rtsp://127.0.0.1:8554/{device_id}"
    main = MediaProfile(
        "main", "Main stream", stream_uri=uri, snapshot_uri=snapshot_uri, with_ptz=ptz
    )
    return (main,)


def make_config(
    kind: DeviceKind,
    device_id: str,
    users: tuple[DeviceUser, ...],
    *,
    name: str = "",
    location: str = "",
    stream_uri: str | None = None,
    snapshot_uri: str = "",
    presets: tuple[PTZPreset, ...] = (),
    inputs: int = 4,
    relays: int = 2,
) -> DeviceConfig:
    """A `DeviceConfig` for a kind; `inputs`/`relays` only size an I/O module.

    The location tag goes into the scopes and, for a phone, into every input event's
    Source items (`Location`), so a VMS rule can tell call points apart.
    """
    video = kind in (DeviceKind.INTERCOM, DeviceKind.PTZ_CAMERA, DeviceKind.CAMERA)
    doors: tuple[DoorConfig, ...] = ()
    relay_cfgs: tuple[RelayOutputConfig, ...] = ()
    input_cfgs: tuple[DigitalInputConfig, ...] = ()
    if kind is DeviceKind.INTERCOM:
        doors = (DoorConfig("door", f"{name or device_id} door"),)
        relay_cfgs = (RelayOutputConfig("door-relay", RelayMode.MONOSTABLE, 3.0),)
        input_cfgs = (DigitalInputConfig("call-button"), DigitalInputConfig("tamper"))
    elif kind is DeviceKind.PHONE:
        tag = (("Location", location),) if location else ()
        input_cfgs = tuple(DigitalInputConfig(token, extra_source=tag) for token in PHONE_INPUTS)
        relay_cfgs = (RelayOutputConfig("relay", RelayMode.MONOSTABLE, 3.0),)
    elif kind is DeviceKind.IO_MODULE:
        input_cfgs = tuple(DigitalInputConfig(f"input-{i + 1}") for i in range(inputs))
        relay_cfgs = tuple(RelayOutputConfig(f"output-{i + 1}") for i in range(relays))
    return DeviceConfig(
        device_id=device_id,
        identity=_identity(kind, device_id),
        users=users,
        profiles=profiles_for(video=video, doors=bool(doors)),
        name=name,
        location=location,
        media_profiles=_media(device_id, stream_uri, snapshot_uri, kind is DeviceKind.PTZ_CAMERA)
        if video
        else (),
        ptz_presets=presets if kind is DeviceKind.PTZ_CAMERA else None,
        relays=relay_cfgs,
        inputs=input_cfgs,
        doors=doors,
    )
