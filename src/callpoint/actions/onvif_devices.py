"""Connected ONVIF devices for the action executors, and how their errors become outcomes.

An action names a camera or device id; its ``onvif:`` endpoint comes from the site in
force *now* (a config reload that replaces a camera changes one line, and the next action
goes to the new one). Connections are made on first use and kept; a transport failure
drops the cached device so the next attempt reconnects (the device may have rebooted
with a new clock or new service addresses).

Errors: a device that cannot be reached or times out is worth a retry; a SOAP fault is a
refusal (NotAuthorized: the ONVIF user lacks the rights; InvalidArgs: no such preset or
relay) and retrying would only repeat it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callpoint.config.models import OnvifEndpoint
from callpoint.config.site import Site
from callpoint.model import ActionOutcome
from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.errors import (
    NotAuthorizedFault,
    OnvifError,
    RemoteProtocolError,
    SoapFault,
    TransportError,
)
from callpoint.onvif.transport import SoapHttp

CALL_TIMEOUT_S = 5.0
"""Per SOAP call of an action: an operator is waiting for the camera to move."""


class NoEndpointError(LookupError):
    """The action's target has no ONVIF endpoint in the site config."""


@dataclass(slots=True)
class Connected:
    """A connected device and what executors learned about it (cached)."""

    device: OnvifDevice
    endpoint: OnvifEndpoint
    ptz_profile: str | None = None
    relays: tuple[str, ...] | None = None
    doors: tuple[str, ...] | None = None


class OnvifDevicePool:
    """Connected devices by camera or device id, sharing one HTTP pool."""

    def __init__(
        self,
        site: Callable[[], Site],
        http: SoapHttp | None = None,
        *,
        timeout_s: float = CALL_TIMEOUT_S,
    ) -> None:
        self._site = site
        self._http = http
        self._owns_http = http is None
        self._timeout_s = timeout_s
        self._devices: dict[str, Connected] = {}

    def endpoint(self, target: str) -> OnvifEndpoint:
        """The endpoint of a camera (first) or device; NoEndpointError if none."""
        site = self._site()
        camera = site.cameras.get(target)
        if camera is not None and camera.onvif is not None:
            return camera.onvif
        device = site.devices.get(target)
        if device is not None and device.onvif is not None:
            return device.onvif
        if device is not None and device.camera is not None:
            cam = site.cameras.get(device.camera)
            if cam is not None and cam.onvif is not None:
                return cam.onvif
        raise NoEndpointError(f"no ONVIF endpoint configured for {target}")

    async def get(self, target: str) -> Connected:
        """The connected device for ``target`` (connecting now if needed)."""
        endpoint = self.endpoint(target)
        known = self._devices.get(target)
        if known is not None and known.endpoint == endpoint:
            return known
        if self._http is None:
            self._http = SoapHttp()
        device = OnvifDevice(
            str(endpoint.url),
            endpoint.username,
            endpoint.password.value.get_secret_value(),
            http=self._http,
            timeout_s=self._timeout_s,
        )
        await device.connect()
        self._devices[target] = entry = Connected(device, endpoint)
        return entry

    def forget(self, target: str) -> None:
        """Drop a cached device (after a transport failure)."""
        self._devices.pop(target, None)

    async def close(self) -> None:
        """Close the HTTP pool if this pool made it."""
        self._devices.clear()
        if self._owns_http and self._http is not None:
            await self._http.close()
            self._http = None


def error_outcome(what: str, exc: Exception) -> ActionOutcome:
    """The outcome for an attempt that failed with ``exc``."""
    if isinstance(exc, NoEndpointError):
        return ActionOutcome(ok=False, detail=str(exc), retry=False)
    if isinstance(exc, LookupError):  # no such preset, relay, door or PTZ profile
        return ActionOutcome(ok=False, detail=f"{what}: {exc}", retry=False)
    if isinstance(exc, TransportError):
        return ActionOutcome(ok=False, detail=f"{what}: {exc}", retry=True)
    if isinstance(exc, NotAuthorizedFault):
        detail = f"{what}: not authorized ({exc.reason}); check the ONVIF user and its level"
        return ActionOutcome(ok=False, detail=detail, retry=False)
    if isinstance(exc, SoapFault):
        return ActionOutcome(ok=False, detail=f"{what}: device refused: {exc}", retry=False)
    if isinstance(exc, RemoteProtocolError):
        return ActionOutcome(ok=False, detail=f"{what}: bad reply: {exc}", retry=True)
    if isinstance(exc, OnvifError):
        return ActionOutcome(ok=False, detail=f"{what}: {exc}", retry=False)
    raise exc


def pick(tokens: tuple[str, ...], wanted: str, what: str) -> str:
    """``wanted`` if it is a token; a 1-based index (``"1"``) picks by position."""
    if wanted in tokens:
        return wanted
    if wanted.isdigit() and 1 <= int(wanted) <= len(tokens):
        return tokens[int(wanted) - 1]
    raise LookupError(f"no {what} {wanted!r} (device has {', '.join(tokens) or 'none'})")
