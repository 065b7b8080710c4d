"""The ONVIF bridge: phones marked `bridge: onvif` served to a VMS as ONVIF devices.

Events: every decision the runtime commits for a bridged phone's event drives the
phone's digital inputs (phone_inputs.py), which the device server sends to PullPoint and
Notify subscribers as `Changed` DigitalInput messages (and `Initialized` at subscription
start), with the phone's location tag as a Source item.

Relay: when the VMS activates the `relay` output (SetRelayOutputState), the bridge
writes a `door` action for the phone to the outbox, like an operator's door release:
durable before it is attempted, retried, audited, shown on the consoles, and carried out
by whichever executor drives that phone's relay or HTTP door-release API. (A direct HTTP
call from here would bypass all of that and need a second copy of every phone's API.)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from callpoint.action_payloads import DoorPayload
from callpoint.bridge.password_file import FILE_NAME, generated_password
from callpoint.bridge.phone_inputs import (
    FAULT,
    LOCATION_ITEM,
    MOMENTARY_S,
    RELAY_TOKEN,
    input_changes,
)
from callpoint.clock import SYSTEM_CLOCK, Clock
from callpoint.component import Health, SiteReload
from callpoint.config.models import DeviceConfig as SiteDevice
from callpoint.config.models import OnvifBridgeConfig
from callpoint.engine import Decision, Engine
from callpoint.model import Action, ActionOutcome, AuditRecord, EventType, new_id
from callpoint.onvif.server import (
    DeviceConfig,
    DeviceHost,
    DeviceKind,
    DeviceUser,
    DigitalInputConfig,
    RelayLogicalState,
    RelayMode,
    RelayOutputConfig,
    VirtualDevice,
    make_config,
)
from callpoint.onvif.server.throttle import AuthThrottle
from callpoint.runtime import RESTORE_LIMIT, Runtime
from callpoint.store.base import StoreUnavailableError

log = logging.getLogger(__name__)

ACTOR = "onvif-bridge"


@dataclass(frozen=True, slots=True)
class BridgedDevice:
    """Where a bridged phone answers ONVIF."""

    device_id: str
    location: str
    url: str


def bridged_device_config(
    device: SiteDevice, cfg: OnvifBridgeConfig, password: str
) -> DeviceConfig:
    """The device server's phone kind, plus a `fault` input and the configured pulse."""
    base = make_config(
        DeviceKind.PHONE,
        device.id,
        (DeviceUser(cfg.username, password),),
        name=device.id,
        location=device.location,
    )
    fault = DigitalInputConfig(FAULT, extra_source=((LOCATION_ITEM, device.location),))
    relay = RelayOutputConfig(RELAY_TOKEN, RelayMode.MONOSTABLE, cfg.relay_pulse_s)
    return replace(base, inputs=(*base.inputs, fault), relays=(relay,))


class OnvifBridge:
    """Serves the bridged devices of a site while `callpoint serve` runs."""

    def __init__(
        self, runtime: Runtime, *, state_dir: Path | None = None, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        """`state_dir`: where a generated password is kept (the database's directory)."""
        self._runtime = runtime
        self._state_dir = state_dir if state_dir is not None else Path.cwd()
        # Failed logins slow the peer's next guess on every bridged device (a door relay).
        self.throttle = AuthThrottle(clock)
        self.config = runtime.site.config.onvif_bridge
        self.password = (
            self.config.password.value.get_secret_value()
            if self.config.password is not None
            else ""
        )
        self._host: DeviceHost | None = None
        self.onvif: dict[str, VirtualDevice] = {}
        self.devices: list[BridgedDevice] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()

    @property
    def username(self) -> str:
        """The ONVIF user of every bridged device."""
        return self.config.username

    async def start(self) -> None:
        """Serve every device marked `bridge: onvif`; nothing when there is none."""
        phones = [d for d in self._runtime.site.config.devices if d.bridge == "onvif"]
        if not phones:
            return
        if not self.password:
            path = self.password_path
            self.password = generated_password(path)
            log.warning(
                "onvif_bridge.password is not set: the password of user %s is in %s (mode 0600)",
                self.username,
                path,
            )
        self._host = DeviceHost(self.config.listen, throttle=self.throttle)
        for i, phone in enumerate(phones):
            device = VirtualDevice(bridged_device_config(phone, self.config, self.password))
            device.relay_observers.append(partial(self._on_relay, phone.id))
            port = self.config.first_port + i if self.config.first_port else 0
            hosted = await self._host.add(device, port)
            self.onvif[phone.id] = device
            self.devices.append(BridgedDevice(phone.id, phone.location, hosted.device_service_url))
            log.info("bridged %s as ONVIF device %s", phone.id, hosted.device_service_url)
        await self._restore()

    async def reload(self, change: SiteReload) -> None:
        """The bridge keeps the phones it started with; say so when the new site differs."""
        phones = {d.id for d in change.site.config.devices if d.bridge == "onvif"}
        if phones != set(self.onvif):
            log.warning("bridged phones changed in the config: restart to serve the new set")

    @property
    def password_path(self) -> Path:
        """Where a generated password is kept: the configured file or one by the database."""
        configured = self.config.password_file
        return Path(configured) if configured else self._state_dir / FILE_NAME

    def health(self) -> Health:
        return {"onvif_bridge_devices": len(self.devices), **self.throttle.health()}

    async def stop(self) -> None:
        """Stop serving (subscriptions end, long polls return)."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        if self._tasks:  # door releases being written finish first: they were asked for
            await asyncio.wait(self._tasks)
        if self._host is not None:
            await self._host.close()
            self._host = None
        self.onvif.clear()
        self.devices.clear()

    async def _restore(self) -> None:
        """After a restart, inputs show what the open incidents say (SOS still active...).
        Read from the store: listeners start before the runtime has restored its memory."""
        incidents = await self._runtime.store.incidents(active_only=True, limit=RESTORE_LIMIT)
        for inc in incidents:
            if inc.active and inc.device_id in self.onvif:
                self._apply(inc.device_id, inc.trigger, momentary=False)

    def on_decision(self, decision: Decision) -> None:
        event = decision.event
        if event is not None and event.device_id in self.onvif:
            self._apply(event.device_id, event.type, momentary=True)

    def on_outcome(self, action: Action, outcome: ActionOutcome) -> None:
        """Outcomes change no input."""

    def _apply(self, device_id: str, event_type: EventType, *, momentary: bool) -> None:
        device = self.onvif[device_id]
        for change in input_changes(event_type):
            if change.momentary and not momentary:
                continue
            device.set_input(change.token, change.active)
            if change.momentary:
                self._later(device, change.token)

    def _later(self, device: VirtualDevice, token: str) -> None:
        handle: asyncio.TimerHandle

        def release() -> None:
            self._timers.discard(handle)
            device.set_input(token, False)

        handle = asyncio.get_running_loop().call_later(MOMENTARY_S, release)
        self._timers.add(handle)

    def _on_relay(self, device_id: str, token: str, state: RelayLogicalState) -> None:
        if token != RELAY_TOKEN or state is not RelayLogicalState.ACTIVE:
            return
        task = asyncio.get_running_loop().create_task(self._release(device_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release(self, device_id: str) -> None:
        pulse_s = self.config.relay_pulse_s

        def decide(engine: Engine, now: datetime) -> Decision:
            action = Action(
                id=new_id(),
                payload=DoorPayload(output="1", mode="pulse", pulse_s=pulse_s, by=ACTOR),
                target=device_id,
                event_id="",
                incident_id=None,
                priority=0,
                created_at=now,
            )
            audit = AuditRecord(new_id(), now, ACTOR, "release_door", device_id, {"via": "onvif"})
            return Decision(actions=(action,), audit=(audit,))

        try:
            await self._runtime.command(decide)
        except StoreUnavailableError:
            log.exception("door release of %s from the VMS not recorded", device_id)


if TYPE_CHECKING:  # mypy proves the bridge satisfies the Listener protocol
    from callpoint.component import Listener

    def _is_a_listener(b: OnvifBridge) -> Listener:
        return b
