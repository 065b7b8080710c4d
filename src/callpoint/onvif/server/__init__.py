"""callpoint's ONVIF device server: virtual devices that real VMS drivers can add.

Public API:

- `VirtualDevice` (device.py): the live state of one device, built from a `DeviceConfig`
  (model.py); observers for preset, relay, door and input changes; `set_input`,
  `set_relay`, `goto_preset`, `access_door`... for simulators and the bridge.
- `DeviceHost` (host.py): one aiohttp application serving many devices, each on its own
  port or under `/devices/<id>` on a shared port; `add()` returns a `HostedDevice`.
- The configuration values in model.py, and `make_config(DeviceKind...)` (kinds.py) for
  the intercom, PTZ camera, camera, bridged phone and I/O module kinds.

Services: Device, Media, Media2, Events (PullPoint and base notification), PTZ, DeviceIO,
DoorControl; WS-UsernameToken and HTTP Digest auth with per-device users.
"""

from typing import TYPE_CHECKING

from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.kinds import DeviceKind, make_config
from callpoint.onvif.server.model import (
    DeviceConfig,
    DeviceIdentity,
    DeviceProfile,
    DeviceUser,
    DigitalInputConfig,
    DoorConfig,
    DoorMode,
    MediaProfile,
    PTZPreset,
    PTZVector,
    RelayIdleState,
    RelayLogicalState,
    RelayMode,
    RelayOutputConfig,
    UserLevel,
)

if TYPE_CHECKING:
    from callpoint.onvif.server.host import DeviceHost, HostedDevice


def __getattr__(name: str) -> object:
    # The aiohttp layer is imported on first use only, so the pure device model can be
    # used (and tested) without loading the web framework.
    if name in ("DeviceHost", "HostedDevice"):
        from callpoint.onvif.server import host

        return getattr(host, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DeviceConfig",
    "DeviceHost",
    "DeviceIdentity",
    "DeviceKind",
    "DeviceProfile",
    "DeviceUser",
    "DigitalInputConfig",
    "DoorConfig",
    "DoorMode",
    "HostedDevice",
    "MediaProfile",
    "PTZPreset",
    "PTZVector",
    "RelayIdleState",
    "RelayLogicalState",
    "RelayMode",
    "RelayOutputConfig",
    "UserLevel",
    "VirtualDevice",
    "make_config",
]
