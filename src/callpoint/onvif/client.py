"""OnvifDevice: the async facade later code uses to talk to one ONVIF device.

``connect()`` asks GetSystemDateAndTime first, unauthenticated (ONVIF Core puts it in
the PRE_AUTH access class, answered without credentials; some devices, like ipycam,
insist on them, and then we retry with them), measures the clock offset, then learns
the service addresses from GetServices (falling back to GetCapabilities on pre-2.0
devices).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from callpoint.codecs.soap import Envelope
from callpoint.onvif import device, deviceio, doorcontrol, events, media, ptz
from callpoint.onvif.device import DeviceInformation, Service, SystemDateAndTime
from callpoint.onvif.errors import LocalProtocolError, NotAuthorizedFault, SoapFault
from callpoint.onvif.namespaces import TDS, TEV, TMD, TR2, TRT
from callpoint.onvif.request import Request
from callpoint.onvif.transport import DEFAULT_TIMEOUT_S, DeviceSession, SoapHttp

log = logging.getLogger(__name__)

DEVICE_SERVICE_PATH = "/onvif/device_service"
"""The device service entry point ONVIF Core prescribes."""

MAX_PAGES = 64
"""Pages of a paged list followed at most (a device looping its references stops here)."""


def device_url(address: str) -> str:
    """``host``, ``host:port`` or a full URL to the device service URL."""
    if "://" in address:
        return address
    return f"http://{address}{DEVICE_SERVICE_PATH}"


@functools.lru_cache(maxsize=4096)
def _rebase(xaddr: str, base: str) -> str:
    """Keep ``xaddr``'s path but ``base``'s scheme, host and port (NAT, wrong-IP quirk)."""
    x, b = urlsplit(xaddr), urlsplit(base)
    if not x.netloc:
        return urlunsplit((b.scheme, b.netloc, x.path or "/", x.query, ""))
    if x.netloc == b.netloc and x.scheme == b.scheme:
        return xaddr
    return urlunsplit((b.scheme, b.netloc, x.path, x.query, x.fragment))


class OnvifDevice:
    """One ONVIF device: connect, then call typed operations.

    Small on purpose (``__slots__``, shared :class:`SoapHttp`): a process keeps thousands.
    """

    __slots__ = ("_services", "date_time", "prefer_media2", "rewrite_xaddrs", "session", "url")

    def __init__(
        self,
        address: str,
        user: str | None = None,
        password: str | None = None,
        *,
        http: SoapHttp,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        rewrite_xaddrs: bool = True,
        prefer_media2: bool = True,
    ) -> None:
        self.url = device_url(address)
        self.session = DeviceSession(http, user, password, timeout_s)
        self.rewrite_xaddrs = rewrite_xaddrs
        self.prefer_media2 = prefer_media2
        self.date_time: SystemDateAndTime | None = None
        self._services: dict[str, Service] = {}

    # --- connection -------------------------------------------------------------------

    @property
    def clock_offset_s(self) -> float:
        """Device clock minus ours, in seconds, as measured at connect."""
        return self.session.clock_offset_s

    @property
    def services(self) -> Mapping[str, Service]:
        """Services by namespace, as learned at connect."""
        return MappingProxyType(self._services)

    def has_service(self, namespace: str) -> bool:
        """True if the device announced the service."""
        return namespace in self._services

    def xaddr(self, namespace: str) -> str:
        """The address to post a service's requests to."""
        svc = self._services.get(namespace)
        if svc is None:
            if namespace == TDS:
                return self.url
            raise LocalProtocolError(f"{self.url} offers no service {namespace}")
        return _rebase(svc.xaddr, self.url) if self.rewrite_xaddrs else svc.xaddr

    async def connect(self) -> None:
        """Measure the clock offset, then learn the services."""
        await self.sync_clock()
        await self.load_services()

    async def sync_clock(self) -> SystemDateAndTime:
        """GetSystemDateAndTime (unauthenticated, then authenticated) and the offset."""
        req = device.get_system_date_and_time
        sent = datetime.now(UTC)
        try:
            env = await self.session.call(self.url, req(), authenticate=False)
        except NotAuthorizedFault:
            log.info("%s wants credentials for GetSystemDateAndTime", self.url)
            sent = datetime.now(UTC)
            env = await self.session.call(self.url, req())
        received = datetime.now(UTC)
        sdt = device.parse_system_date_and_time(env.body)
        self.date_time = sdt
        if sdt.best is not None:
            midpoint = sent + (received - sent) / 2
            self.session.clock_offset_s = (sdt.best - midpoint).total_seconds()
        return sdt

    async def load_services(self) -> Mapping[str, Service]:
        """GetServices with capabilities, then without (some firmware faults on the flag),
        then GetCapabilities for pre-2.0 devices."""
        found: tuple[Service, ...] = ()
        for include in (True, False):
            try:
                found = device.parse_services(await self._body(device.get_services(include)))
                break
            except SoapFault as fault:
                if isinstance(fault, NotAuthorizedFault):
                    raise
                log.info("%s: GetServices(%s) failed: %s", self.url, include, fault)
        else:
            found = device.parse_capabilities(await self._body(device.get_capabilities()))
        self._services = {s.namespace: s for s in found}
        return self.services

    # --- plumbing ---------------------------------------------------------------------

    async def call(
        self,
        req: Request,
        *,
        url: str | None = None,
        headers: Iterable[etree._Element] = (),
        authenticate: bool = True,
    ) -> Envelope:
        """Send a request to its service (or ``url``) and return the reply envelope."""
        target = url or self.xaddr(req.service)
        return await self.session.call(target, req, authenticate=authenticate, headers=headers)

    async def _body(self, req: Request) -> etree._Element | None:
        return (await self.session.call(self.xaddr(req.service), req)).body

    async def _sub_call(self, sub: events.Subscription, req: Request) -> Envelope:
        url = _rebase(sub.address, self.url) if self.rewrite_xaddrs else sub.address
        return await self.call(req, url=url, headers=events.subscription_headers(sub, req.action))

    # --- device -----------------------------------------------------------------------

    async def device_information(self) -> DeviceInformation:
        """GetDeviceInformation."""
        return device.parse_device_information(await self._body(device.get_device_information()))

    async def scopes(self) -> tuple[str, ...]:
        """GetScopes."""
        return device.parse_scopes(await self._body(device.get_scopes()))

    async def network_interfaces(self) -> tuple[device.NetworkInterface, ...]:
        """GetNetworkInterfaces."""
        env = await self.call(device.get_network_interfaces())
        return device.parse_network_interfaces(env.body)

    async def relay_outputs(self) -> tuple[device.RelayOutput, ...]:
        """Relay outputs, from DeviceIO when offered, else the device service."""
        req = deviceio.get_relay_outputs() if self.has_service(TMD) else device.get_relay_outputs()
        return device.parse_relay_outputs(await self._body(req))

    async def set_relay_output_state(self, token: str, active: bool) -> None:
        """Energise or release a relay."""
        if self.has_service(TMD):
            req = deviceio.set_relay_state(token, active)
        else:
            req = device.set_relay_output_state(token, active)
        device.parse_empty(await self._body(req), "SetRelayOutputStateResponse")

    async def digital_inputs(self) -> tuple[deviceio.DigitalInput, ...]:
        """GetDigitalInputs (DeviceIO)."""
        return deviceio.parse_digital_inputs(await self._body(deviceio.get_digital_inputs()))

    # --- media ------------------------------------------------------------------------

    @property
    def media2(self) -> bool:
        """True if Media2 is used: offered by the device and not turned off (some devices
        announce a Media2 service that answers badly; ``prefer_media2=False`` avoids it)."""
        return self.prefer_media2 and self.has_service(TR2)

    def _media_ok(self) -> None:
        if self._services and not (self.has_service(TR2) or self.has_service(TRT)):
            raise LocalProtocolError(f"{self.url} offers no media service")

    async def profiles(self) -> tuple[media.MediaProfile, ...]:
        """GetProfiles (Media2 when offered)."""
        self._media_ok()
        return media.parse_profiles(await self._body(media.get_profiles(self.media2)))

    async def stream_uri(self, profile_token: str) -> media.MediaUri:
        """GetStreamUri for RTSP unicast."""
        env = await self.call(media.get_stream_uri(profile_token, self.media2))
        return media.parse_stream_uri(env.body)

    async def snapshot_uri(self, profile_token: str) -> media.MediaUri:
        """GetSnapshotUri."""
        env = await self.call(media.get_snapshot_uri(profile_token, self.media2))
        return media.parse_snapshot_uri(env.body)

    async def audio_output_configurations(self) -> tuple[media.AudioConfiguration, ...]:
        """GetAudioOutputConfigurations."""
        env = await self.call(media.get_audio_output_configurations(self.media2))
        return media.parse_audio_configurations(env.body)

    async def audio_decoder_configurations(self) -> tuple[media.AudioConfiguration, ...]:
        """GetAudioDecoderConfigurations."""
        env = await self.call(media.get_audio_decoder_configurations(self.media2))
        return media.parse_audio_configurations(env.body)

    # --- PTZ --------------------------------------------------------------------------

    async def presets(self, profile_token: str) -> tuple[ptz.Preset, ...]:
        """GetPresets."""
        return ptz.parse_presets(await self._body(ptz.get_presets(profile_token)))

    async def goto_preset(
        self, profile_token: str, preset_token: str, speed: ptz.PTZVector | None = None
    ) -> None:
        """GotoPreset."""
        env = await self.call(ptz.goto_preset(profile_token, preset_token, speed))
        _check_empty(env, "GotoPresetResponse")

    async def goto_home(self, profile_token: str, speed: ptz.PTZVector | None = None) -> None:
        """GotoHomePosition."""
        env = await self.call(ptz.goto_home_position(profile_token, speed))
        _check_empty(env, "GotoHomePositionResponse")

    async def set_preset(
        self, profile_token: str, name: str | None = None, preset_token: str | None = None
    ) -> str:
        """SetPreset; returns the preset token."""
        env = await self.call(ptz.set_preset(profile_token, name, preset_token))
        return ptz.parse_set_preset(env.body)

    async def ptz_status(self, profile_token: str) -> ptz.PTZStatus:
        """GetStatus."""
        return ptz.parse_status(await self._body(ptz.get_status(profile_token)))

    async def ptz_stop(self, profile_token: str) -> None:
        """Stop."""
        _check_empty(await self.call(ptz.stop(profile_token)), "StopResponse")

    # --- events -----------------------------------------------------------------------

    def termination_time(self, seconds: float, absolute: bool = False) -> events.TerminationTime:
        """A termination time ``seconds`` ahead: relative, or absolute on the device's clock
        (for devices that mishandle relative times; our clock plus the measured offset)."""
        if not absolute:
            return seconds
        return self.session.device_now() + timedelta(seconds=seconds)

    async def event_properties(self) -> events.EventProperties:
        """GetEventProperties."""
        env = await self.call(events.get_event_properties())
        return events.parse_event_properties(env.body)

    async def create_pull_point(
        self,
        initial_termination_time: events.TerminationTime | None = 60.0,
        topics: str | None = None,
    ) -> events.Subscription:
        """CreatePullPointSubscription."""
        env = await self.call(
            events.create_pull_point_subscription(initial_termination_time, topics)
        )
        return events.parse_create_pull_point_subscription(env.body)

    async def pull_messages(
        self, sub: events.Subscription, timeout_s: float, limit: int
    ) -> events.PullMessagesResponse:
        """PullMessages on a PullPoint (the HTTP timeout allows for the long poll)."""
        req = events.pull_messages(timeout_s, limit)
        url = _rebase(sub.address, self.url) if self.rewrite_xaddrs else sub.address
        saved = self.session.timeout_s
        self.session.timeout_s = saved + timeout_s
        try:
            env = await self.call(
                req, url=url, headers=events.subscription_headers(sub, req.action)
            )
        finally:
            self.session.timeout_s = saved
        return events.parse_pull_messages(env.body)

    async def renew(
        self, sub: events.Subscription, termination_time: events.TerminationTime
    ) -> events.RenewResponse:
        """Renew a subscription."""
        return events.parse_renew((await self._sub_call(sub, events.renew(termination_time))).body)

    async def unsubscribe(self, sub: events.Subscription) -> None:
        """Unsubscribe (some devices then drop every subscription: prefer letting it lapse)."""
        events.parse_empty(
            (await self._sub_call(sub, events.unsubscribe())).body, "UnsubscribeResponse"
        )

    async def set_synchronization_point(self, sub: events.Subscription) -> None:
        """SetSynchronizationPoint on a PullPoint."""
        env = await self._sub_call(sub, events.set_synchronization_point())
        events.parse_empty(env.body, "SetSynchronizationPointResponse")

    async def subscribe(
        self,
        consumer_url: str,
        initial_termination_time: events.TerminationTime | None = 60.0,
        topics: str | None = None,
    ) -> events.Subscription:
        """Base-notification Subscribe (posted to the event service)."""
        req = events.subscribe(consumer_url, initial_termination_time, topics)
        env = await self.call(req, url=self.xaddr(TEV))
        return events.parse_subscribe(env.body)

    # --- doors and access points ------------------------------------------------------

    async def door_info_list(self) -> tuple[doorcontrol.DoorInfo, ...]:
        """Every door, following NextStartReference (bounded)."""
        items: list[doorcontrol.DoorInfo] = []
        start: str | None = None
        for _ in range(MAX_PAGES):
            page = doorcontrol.parse_door_info_list(
                await self._body(doorcontrol.get_door_info_list(None, start))
            )
            items.extend(page.items)
            start = page.next_start_reference
            if not start:
                break
        return tuple(items)

    async def access_point_info_list(self) -> tuple[doorcontrol.AccessPointInfo, ...]:
        """Every access point, following NextStartReference (bounded)."""
        items: list[doorcontrol.AccessPointInfo] = []
        start: str | None = None
        for _ in range(MAX_PAGES):
            env = await self.call(doorcontrol.get_access_point_info_list(None, start))
            page = doorcontrol.parse_access_point_info_list(env.body)
            items.extend(page.items)
            start = page.next_start_reference
            if not start:
                break
        return tuple(items)

    async def door_state(self, token: str) -> doorcontrol.DoorState:
        """GetDoorState."""
        return doorcontrol.parse_door_state(await self._body(doorcontrol.get_door_state(token)))

    async def access_door(self, token: str, access_time_s: float | None = None) -> None:
        """AccessDoor (momentary release)."""
        env = await self.call(doorcontrol.access_door(token, access_time_s))
        device.parse_empty(env.body, "AccessDoorResponse")

    async def unlock_door(self, token: str) -> None:
        """UnlockDoor."""
        device.parse_empty(await self._body(doorcontrol.unlock_door(token)), "UnlockDoorResponse")

    async def lock_door(self, token: str) -> None:
        """LockDoor."""
        device.parse_empty(await self._body(doorcontrol.lock_door(token)), "LockDoorResponse")


def _check_empty(env: Envelope, name: str) -> None:
    """Check an empty reply (GotoPresetResponse...)."""
    device.parse_empty(env.body, name)
