"""What every simulated device offers the simulator: its line, its state, `press`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from callpoint.model import EventType
from callpoint.sim.plan import DevicePlan, SimKind
from callpoint.sim.webhook_out import Delivery

StateValue = str | int | bool | None


class PressError(ValueError):
    """A press the device cannot do (unknown event for its kind, bad input number)."""


@dataclass(frozen=True, slots=True)
class DeviceLine:
    """One line of `callpoint simulate --json`: where a ready device answers."""

    id: str
    kind: SimKind
    onvif: str | None = None
    rtsp: str | None = None
    snapshot: str | None = None
    username: str | None = None
    password: str | None = None
    location: str | None = None
    camera: str | None = None
    modbus: str | None = None
    url: str | None = None
    events: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The fields that apply (None and empty fields are left out)."""
        out: dict[str, object] = {"id": self.id, "kind": self.kind.value}
        for name in ("onvif", "rtsp", "snapshot", "username", "password", "location"):
            value = getattr(self, name)
            if value:
                out[name] = value
        for name in ("camera", "modbus", "url"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.events:
            out["events"] = list(self.events)
        return out


@dataclass(frozen=True, slots=True)
class PressResult:
    """What a press did: the ONVIF side changed, and what callpoint answered (if sent)."""

    device_id: str
    event: EventType
    delivery: Delivery | None = None


class SimDevice(Protocol):
    """A running simulated device."""

    plan: DevicePlan

    def line(self) -> DeviceLine:
        """Its JSON line."""

    def state(self) -> dict[str, StateValue]:
        """What the control page shows."""

    async def press(self, event: EventType, channel: int | None = None) -> PressResult:
        """Make the device do something (raise PressError when it cannot)."""

    async def close(self) -> None:
        """Stop its timers and servers."""


@dataclass(slots=True)
class Timers:
    """Momentary states (a button released after a second) with cancellable handles."""

    _handles: set[asyncio.TimerHandle] = field(default_factory=set)

    def later(self, delay_s: float, callback: Callable[[], None]) -> None:
        """Run `callback` after `delay_s` on the running loop."""
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._handles.discard(handle)
            callback()

        handle = asyncio.get_running_loop().call_later(delay_s, fire)
        self._handles.add(handle)

    def cancel_all(self) -> None:
        """Forget every pending callback."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()


def check_event(plan: DevicePlan, event: EventType) -> None:
    """Raise PressError unless the device's kind can do `event`."""
    if event not in plan.events:
        allowed = ", ".join(e.value for e in plan.events) or "nothing"
        raise PressError(f"{plan.device_id} ({plan.kind.value}) can do {allowed}, not {event}")
