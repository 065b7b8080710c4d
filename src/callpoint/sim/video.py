"""Simulated intercoms and cameras: a `VirtualDevice` on the ONVIF host plus a stream.

A PTZ move (GotoPreset, GotoHome, AbsoluteMove...) redraws the stream's preset overlay;
the media child shows it from its next frame. An intercom reports its button, door and
tamper both as ONVIF events (DigitalInput, DoorMode) and as signed webhooks to callpoint;
a VMS that pulses its `door-relay` or calls AccessDoor opens the door, which the intercom
reports as `door_open`.
"""

from __future__ import annotations

import asyncio
import logging

from callpoint.model import EventType
from callpoint.onvif.server import DoorMode, HostedDevice, PTZVector, RelayLogicalState
from callpoint.onvif.server import VirtualDevice as OnvifDevice
from callpoint.sim.base import DeviceLine, PressResult, StateValue, Timers, check_event
from callpoint.sim.media import MediaServer, MediaServerError, preset_overlay
from callpoint.sim.onvif_devices import CALL_BUTTON, DOOR, DOOR_RELAY, TAMPER_INPUT
from callpoint.sim.plan import DevicePlan, SimKind
from callpoint.sim.webhook_out import Delivery, WebhookOut

log = logging.getLogger(__name__)

#: A call button is a momentary contact: released this long after the press, in seconds.
BUTTON_HOLD_S = 1.0
#: A tamper switch or motion alarm stays active this long, in seconds.
ALARM_HOLD_S = 5.0
HOME_OVERLAY = "HOME"


class VideoSim:
    """An intercom, PTZ camera or fixed camera."""

    def __init__(
        self,
        plan: DevicePlan,
        device: OnvifDevice,
        hosted: HostedDevice,
        webhooks: WebhookOut,
        media: MediaServer | None,
        rtsp: str,
        snapshot: str,
    ) -> None:
        assert plan.camera is not None
        self.plan = plan
        self.device = device
        self.hosted = hosted
        self._webhooks = webhooks
        self._media = media
        self._rtsp, self._snapshot = rtsp, snapshot
        self._timers = Timers()
        self._tasks: set[asyncio.Task[None]] = set()
        self._door_report: asyncio.Future[Delivery] | None = None
        self.overlay = HOME_OVERLAY
        device.preset_observers.append(self._on_preset)
        if plan.kind is SimKind.INTERCOM:
            device.door_observers.append(self._on_door)
            device.relay_observers.append(self._on_relay)

    @property
    def camera_id(self) -> str:
        """The id the stream is mounted under."""
        assert self.plan.camera is not None
        return self.plan.camera.camera_id

    def line(self) -> DeviceLine:
        """ONVIF device service, stream and credentials."""
        user = self.device.config.users[0]
        camera = self.camera_id if self.plan.kind is SimKind.INTERCOM else None
        return DeviceLine(
            self.plan.device_id,
            self.plan.kind,
            onvif=self.hosted.device_service_url,
            rtsp=self._rtsp,
            snapshot=self._snapshot,
            username=user.username,
            password=user.password,
            location=self.plan.location,
            camera=camera,
            events=tuple(e.value for e in self.plan.events),
        )

    def state(self) -> dict[str, StateValue]:
        """Preset, relay, door and input states."""
        out: dict[str, StateValue] = {}
        if self.device.config.has_ptz:
            out["preset"] = self.device.current_preset
        out.update({f"input {k}": v for k, v in self.device.inputs.items()})
        out.update({f"relay {k}": v.value for k, v in self.device.relay_states.items()})
        out.update({f"door {k}": v.value for k, v in self.device.door_modes.items()})
        return out

    async def press(self, event: EventType, channel: int | None = None) -> PressResult:
        """Button, door, tamper (intercoms) or motion (cameras)."""
        check_event(self.plan, event)
        match event:
            case EventType.BUTTON_PRESS:
                self._momentary(CALL_BUTTON, BUTTON_HOLD_S)
                report = self._webhooks.send(self.plan.device_id, event.value)
            case EventType.TAMPER:
                self._momentary(TAMPER_INPUT, ALARM_HOLD_S)
                report = self._webhooks.send(self.plan.device_id, event.value)
            case EventType.DOOR_OPEN:
                self.device.access_door(DOOR)  # the door observer reports it
                assert self._door_report is not None
                report = self._door_report
            case _:  # motion
                source = next(iter(self.device.media_profiles.values())).video_source_token
                self.device.set_motion(source, True)
                self._timers.later(ALARM_HOLD_S, lambda: self.device.set_motion(source, False))
                return PressResult(self.plan.device_id, event)
        return PressResult(self.plan.device_id, event, await report)

    def _momentary(self, token: str, hold_s: float) -> None:
        self.device.set_input(token, True)
        self._timers.later(hold_s, lambda: self.device.set_input(token, False))

    # observers (called synchronously by the VirtualDevice) ----------------------------
    def _on_preset(self, token: str | None, position: PTZVector) -> None:
        if token is None:
            text = HOME_OVERLAY if position == PTZVector() else "MANUAL"
        else:
            text = preset_overlay(token, self.device.presets[token].name)
        self.overlay = text
        if self._media is not None:
            task = asyncio.get_running_loop().create_task(self._draw(text))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _draw(self, text: str) -> None:
        assert self._media is not None
        try:
            await self._media.set_overlay(self.camera_id, text)
        except MediaServerError:
            log.warning("camera %s: overlay %r not drawn", self.camera_id, text, exc_info=True)

    def _on_door(self, token: str, mode: DoorMode) -> None:
        if mode in (DoorMode.ACCESSED, DoorMode.UNLOCKED):
            self._door_report = self._webhooks.send(self.plan.device_id, EventType.DOOR_OPEN.value)

    def _on_relay(self, token: str, state: RelayLogicalState) -> None:
        already_open = self.device.door_modes[DOOR] is not DoorMode.LOCKED
        if token == DOOR_RELAY and state is RelayLogicalState.ACTIVE and not already_open:
            self.device.access_door(DOOR)

    async def start(self) -> None:
        """Go to the home preset (or draw HOME) so the stream shows where the camera is."""
        camera = self.plan.camera
        assert camera is not None
        if camera.ptz and camera.home_preset in self.device.presets:
            assert camera.home_preset is not None
            self.device.goto_preset(camera.home_preset)

    async def close(self) -> None:
        """Cancel timers and pending overlay updates."""
        self._timers.cancel_all()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
