"""`Simulator`: every device of a site, virtual, in one process on loopback.

Start order: webhook sender -> media child (one GStreamer process for every camera) ->
ONVIF host (one aiohttp application, a port per device, since most VMS drivers and
onvif-zeep-async hard-code /onvif/device_service) -> I/O modules -> VMS receivers ->
control page. Stop: the reverse. WS-Discovery only with `discovery=True` on a
non-loopback address: otherwise nothing multicasts.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from callpoint.config.models import SiteConfig
from callpoint.model import EventType
from callpoint.onvif.discovery import DiscoveryResponder
from callpoint.onvif.server import DeviceHost, VirtualDevice
from callpoint.sim.base import DeviceLine, PressError, PressResult, SimDevice
from callpoint.sim.control import ControlPage
from callpoint.sim.discovery import check_discovery_address, responder_for
from callpoint.sim.media import MediaServer
from callpoint.sim.modbus import IoModuleSim
from callpoint.sim.onvif_devices import device_config
from callpoint.sim.phone import PhoneSim
from callpoint.sim.plan import DevicePlan, SimKind, plan_site
from callpoint.sim.video import HOME_OVERLAY, VideoSim
from callpoint.sim.vms import MilestoneReceiver, NxReceiver, make_receiver
from callpoint.sim.webhook_out import DeviceAuth, WebhookOut

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SimOptions:
    """How to run the simulator."""

    callpoint_url: str | None = None  # where devices send webhooks; None: nowhere
    username: str = "admin"
    password: str | None = None  # None: a random one per run
    media: bool = True  # False: no RTSP (no GStreamer needed); ONVIF still served
    bind: str = "127.0.0.1"  # address of every device
    control_host: str = "127.0.0.1"
    control_port: int = 0
    discovery: bool = False  # WS-Discovery by multicast on `bind`'s interface (not loopback)


class Simulator:
    """Runs the plan of a site; `press` and the control page drive it."""

    def __init__(self, config: SiteConfig, options: SimOptions | None = None) -> None:
        self.config = config
        self.options = options or SimOptions()
        self.password = self.options.password or secrets.token_urlsafe(12)
        self.plans = plan_site(config)
        self.webhooks = WebhookOut(self.options.callpoint_url, DeviceAuth(config))
        self.media: MediaServer | None = None
        self.host = DeviceHost(self.options.bind)
        self.devices: dict[str, SimDevice] = {}
        self.control_url = ""
        self._control: ControlPage | None = None
        self.responders: list[DiscoveryResponder] = []

    async def start(self, ready: Callable[[DeviceLine], None] | None = None) -> None:
        """Start every device; `ready` is called with each device's line once it answers."""
        try:
            await self._start(ready)
        except BaseException:
            await self.close()
            raise

    async def _start(self, ready: Callable[[DeviceLine], None] | None) -> None:
        await self.webhooks.start()
        if self.options.discovery:
            check_discovery_address(self.options.bind)
        if self.options.media and any(p.camera for p in self.plans):
            self.media = MediaServer(
                address=self.options.bind, username=self.options.username, password=self.password
            )
            await self.media.start()
        for plan in self.plans:
            device = await self._start_device(plan)
            self.devices[plan.device_id] = device
            if ready is not None:
                ready(device.line())
        page = ControlPage(self, self.options.control_host, self.options.control_port)
        await page.start()
        self._control = page
        self.control_url = page.url

    async def _start_device(self, plan: DevicePlan) -> SimDevice:
        match plan.kind:
            case SimKind.PHONE:
                return PhoneSim(plan, self.webhooks)
            case SimKind.IO_MODULE:
                module = IoModuleSim(plan, self.options.bind)
                await module.start()
                return module
            case SimKind.VMS:
                receiver = make_receiver(
                    plan, self.options.username, self.password, self.options.bind
                )
                await receiver.start()
                return receiver
            case _:
                return await self._start_video(plan)

    async def _start_video(self, plan: DevicePlan) -> VideoSim:
        camera = plan.camera
        assert camera is not None
        rtsp = snapshot = ""
        if self.media is not None:
            urls = await self.media.add_camera(camera.camera_id, plan.device_id, HOME_OVERLAY)
            rtsp, snapshot = urls.rtsp, urls.snapshot
        config = device_config(
            plan, self.options.username, self.password, rtsp or "rtsp://0.0.0.0/none", snapshot
        )
        onvif = VirtualDevice(config)
        hosted = await self.host.add(onvif)
        if self.options.discovery:
            responder = responder_for(onvif, hosted.device_service_url, self.options.bind)
            await responder.start()
            self.responders.append(responder)
        sim = VideoSim(plan, onvif, hosted, self.webhooks, self.media, rtsp, snapshot)
        await sim.start()
        return sim

    def lines(self) -> list[DeviceLine]:
        """Every running device's line, in plan order."""
        return [d.line() for d in self.devices.values()]

    def device(self, device_id: str) -> SimDevice:
        """A running device by id; PressError if there is none."""
        try:
            return self.devices[device_id]
        except KeyError:
            raise PressError(f"no simulated device {device_id!r}") from None

    def video(self, device_id: str) -> VideoSim:
        """A running intercom or camera."""
        device = self.device(device_id)
        if not isinstance(device, VideoSim):
            raise PressError(f"{device_id} is not an intercom or camera")
        return device

    def receiver(self, device_id: str) -> MilestoneReceiver | NxReceiver:
        """A running VMS receiver."""
        device = self.device(device_id)
        if not isinstance(device, MilestoneReceiver | NxReceiver):
            raise PressError(f"{device_id} is not a VMS receiver")
        return device

    async def press(self, device_id: str, event: str, channel: int | None = None) -> PressResult:
        """Make a device do something (PressError for unknown devices or events)."""
        try:
            kind = EventType(event)
        except ValueError:
            raise PressError(f"unknown event type {event!r}") from None
        return await self.device(device_id).press(kind, channel)

    async def close(self) -> None:
        """Stop everything that was started, in reverse order. Safe to call twice."""
        control = self._control
        self._control = None
        if control is not None:
            await control.close()
        for responder in reversed(self.responders):
            await responder.stop()  # Bye while the device still answers
        self.responders.clear()
        for device in reversed(list(self.devices.values())):
            await device.close()
        self.devices.clear()
        await self.host.close()
        if self.media is not None:
            await self.media.close()
            self.media = None
        await self.webhooks.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.close()
