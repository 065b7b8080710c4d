"""The `preset` and `home` actions on ONVIF PTZ cameras.

`preset`: GotoPreset with the payload's ``preset`` token on the camera's first PTZ profile
(the first media profile with a PTZ configuration). `home`: GotoPreset with ``preset``
when given (the camera's ``home_preset``), else GotoHomePosition. The move is commanded,
not awaited: PTZ Core says the reply comes when the command is accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callpoint.action_payloads import HomePayload, PresetPayload
from callpoint.actions.onvif_devices import (
    Connected,
    NoEndpointError,
    OnvifDevicePool,
    error_outcome,
)
from callpoint.model import Action, ActionKind, ActionOutcome
from callpoint.onvif.errors import OnvifError, TransportError
from callpoint.onvif.namespaces import TPTZ


class NoPtzError(LookupError):
    """The camera has no PTZ service or no profile with a PTZ configuration."""


async def ptz_profile(entry: Connected) -> str:
    """The token of the first media profile with PTZ (cached)."""
    if entry.ptz_profile is None:
        if not entry.device.has_service(TPTZ):
            raise NoPtzError(f"{entry.device.url} offers no PTZ service")
        profiles = await entry.device.profiles()
        token = next((p.token for p in profiles if p.ptz_configuration_token), None)
        if token is None:
            raise NoPtzError(f"{entry.device.url}: no media profile has a PTZ configuration")
        entry.ptz_profile = token
    return entry.ptz_profile


class OnvifPtzExecutor:
    """Executes `preset` and `home` through a shared :class:`OnvifDevicePool`."""

    kinds: frozenset[ActionKind] = frozenset({ActionKind.PRESET, ActionKind.HOME})

    def __init__(self, pool: OnvifDevicePool) -> None:
        self.pool = pool

    def try_now(self, action: Action) -> ActionOutcome | None:
        """A camera without an ONVIF endpoint fails at once, without a network attempt."""
        try:
            self.pool.endpoint(action.target)
        except NoEndpointError as exc:
            return error_outcome(f"{action.kind.value} {action.target}", exc)
        return None

    async def execute(self, action: Action) -> ActionOutcome:
        """One attempt: connect if needed, find the PTZ profile, command the move."""
        match action.payload:
            case PresetPayload(preset=""):
                return ActionOutcome(ok=False, detail="preset action without a preset token")
            case PresetPayload(preset=token) | HomePayload(preset=token):
                preset = token
            case _:
                detail = f"a {action.kind.value} action is not a PTZ move"
                return ActionOutcome(ok=False, detail=detail)
        what = f"{action.kind.value} {action.target}"
        try:
            entry = await self.pool.get(action.target)
            profile = await ptz_profile(entry)
            if preset is not None:
                await entry.device.goto_preset(profile, preset)
                done = f"{action.target}: GotoPreset {preset} on profile {profile}"
            else:
                await entry.device.goto_home(profile)
                done = f"{action.target}: GotoHomePosition on profile {profile}"
        except (OnvifError, LookupError) as exc:
            if isinstance(exc, TransportError):
                self.pool.forget(action.target)
            return error_outcome(what, exc)
        return ActionOutcome(ok=True, detail=done)

    async def close(self) -> None:
        """Nothing to release: the device pool is shared, and closed by whoever made it."""


if TYPE_CHECKING:  # mypy proves the executor satisfies the Executor protocol
    from callpoint.actions.executor import InstantExecutor

    def _is_an_executor(e: OnvifPtzExecutor) -> InstantExecutor:
        return e
