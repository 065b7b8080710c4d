"""The `relay` and `door` actions on ONVIF devices.

The payload (`RelayPayload` or `DoorPayload`, planned from a rule's relay/door spec):
``output`` (a relay or door token, or a 1-based index such as the default ``"1"``),
``mode`` (``on``, ``off`` or ``pulse``) and ``pulse_s`` (read for ``pulse`` only).

- `relay`: SetRelayOutputState (DeviceIO when offered, else the device service). A pulse
  is on, wait, off; the off is sent even if the wait is cut short.
- `door`: with DoorControl (Profile C/A): ``pulse`` is AccessDoor (momentary access for
  ``pulse_s``), ``on`` UnlockDoor, ``off`` LockDoor. Without DoorControl (most intercoms
  expose the strike as a plain relay) the same modes drive the relay instead.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from callpoint.action_payloads import DoorPayload, RelayPayload
from callpoint.actions.onvif_devices import Connected, OnvifDevicePool, error_outcome, pick
from callpoint.model import Action, ActionKind, ActionOutcome
from callpoint.onvif.errors import OnvifError, TransportError
from callpoint.onvif.namespaces import TDC

MAX_PULSE_S: Final = 20.0
"""Longest pulse held inside one attempt (the outbox cuts attempts off at 30 s)."""
MODES: Final = frozenset({"on", "off", "pulse"})


async def relay_tokens(entry: Connected) -> tuple[str, ...]:
    """The device's relay output tokens (cached)."""
    if entry.relays is None:
        entry.relays = tuple(r.token for r in await entry.device.relay_outputs())
    return entry.relays


async def door_tokens(entry: Connected) -> tuple[str, ...]:
    """The device's door tokens (cached)."""
    if entry.doors is None:
        entry.doors = tuple(d.token for d in await entry.device.door_info_list())
    return entry.doors


async def drive_relay(entry: Connected, output: str, mode: str, pulse_s: float) -> str:
    """Set a relay on, off or pulse it; returns what was done."""
    token = pick(await relay_tokens(entry), output, "relay output")
    device = entry.device
    if mode == "pulse":
        await device.set_relay_output_state(token, True)
        try:
            await asyncio.sleep(pulse_s)
        finally:
            await asyncio.shield(device.set_relay_output_state(token, False))
        return f"relay {token} pulsed {pulse_s:g} s"
    await device.set_relay_output_state(token, mode == "on")
    return f"relay {token} {mode}"


async def drive_door(entry: Connected, output: str, mode: str, pulse_s: float) -> str:
    """Door control when offered, else the relay; returns what was done."""
    doors = await door_tokens(entry) if entry.device.has_service(TDC) else ()
    if not doors:
        return await drive_relay(entry, output, mode, pulse_s) + " (no DoorControl door)"
    token = pick(doors, output, "door")
    if mode == "pulse":
        await entry.device.access_door(token, pulse_s)
        return f"door {token}: AccessDoor {pulse_s:g} s"
    if mode == "on":
        await entry.device.unlock_door(token)
        return f"door {token}: UnlockDoor"
    await entry.device.lock_door(token)
    return f"door {token}: LockDoor"


class OnvifIoExecutor:
    """Executes `relay` and `door` through a shared :class:`OnvifDevicePool`."""

    kinds: frozenset[ActionKind] = frozenset({ActionKind.RELAY, ActionKind.DOOR})

    def __init__(self, pool: OnvifDevicePool) -> None:
        self.pool = pool

    async def execute(self, action: Action) -> ActionOutcome:
        """One attempt at switching the relay or door."""
        payload = action.payload
        if not isinstance(payload, RelayPayload | DoorPayload):
            detail = f"a {action.kind.value} action is not a relay or door"
            return ActionOutcome(ok=False, detail=detail)
        output, mode, pulse_s = payload.output, payload.mode, payload.pulse_s
        # The payload's types do not bound what a stored row or a hand-made action holds.
        if mode not in MODES or (mode == "pulse" and not 0 < pulse_s <= MAX_PULSE_S):
            detail = f"bad {action.kind.value} action: mode {mode!r}, pulse_s {pulse_s:g}"
            return ActionOutcome(ok=False, detail=detail)
        what = f"{action.kind.value} {action.target}"
        try:
            entry = await self.pool.get(action.target)
            if isinstance(payload, DoorPayload):
                done = await drive_door(entry, output, mode, pulse_s)
            else:
                done = await drive_relay(entry, output, mode, pulse_s)
        except (OnvifError, LookupError) as exc:
            if isinstance(exc, TransportError):
                self.pool.forget(action.target)
            return error_outcome(what, exc)
        return ActionOutcome(ok=True, detail=f"{action.target}: {done}")

    async def close(self) -> None:
        """Nothing to release: the device pool is shared, and closed by whoever made it."""


if TYPE_CHECKING:  # mypy proves the executor satisfies the Executor protocol
    from callpoint.actions.executor import Executor

    def _is_an_executor(e: OnvifIoExecutor) -> Executor:
        return e
