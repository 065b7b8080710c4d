"""``probe_device``: ask an ONVIF device everything an integrator checks before buying.

Seed 000's "what to verify": the declared profiles against what really answers, the
stream opened and decoded (not just its URL), two-way audio tried, the door release
path, the ports. Each step reports progress, and a step that fails becomes a problem
in the report instead of ending the probe (only an unreachable device ends it early).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp

from callpoint.media.credential_scope import host_port
from callpoint.media.urls import redact_url
from callpoint.onvif import device as tds
from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.discovery import probe as wsd_probe
from callpoint.onvif.errors import ActionNotSupportedFault, NotAuthorizedFault, OnvifError
from callpoint.onvif.eventmap import DEFAULT_RULES, rule_matches
from callpoint.onvif.media import MediaProfile
from callpoint.onvif.namespaces import TAC, TAN, TDC, TEV, TMD, TPTZ, TR2, TRT
from callpoint.onvif.notification import EventMessage, NotificationMessage
from callpoint.onvif.scopes import declared_profiles
from callpoint.onvif.transport import SoapHttp
from callpoint.probe import checks
from callpoint.probe.report import CLOCK_TOLERANCE_S, PortReport, ProbeReport, StreamReport

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

DISCOVERY_PORT = 3702
PULL_TEST_LIFETIME_S = 10.0
"""The test PullPoint is left to lapse after this long (no Unsubscribe: see ingress)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ProbeOptions:
    """How thorough and how patient the probe is."""

    stream_seconds: float = 2.0
    call_timeout_s: float = 5.0
    discovery: bool = True  # send a unicast WS-Discovery Probe to the device's UDP 3702


def topic_event(topic: str) -> str | None:
    """The callpoint event type the default rules give a topic, if any."""
    note = NotificationMessage(topic, EventMessage(None, None))
    for rule in DEFAULT_RULES:
        if rule_matches(dataclasses.replace(rule, item=None, value=None), note):
            return rule.event_type
    return None


class _Probe:
    def __init__(
        self, url: str, user: str | None, password: str | None, opts: ProbeOptions, say: Progress
    ) -> None:
        self.user, self.password, self.opts, self.say = user, password, opts, say
        self.report = ProbeReport(url)
        self.dev: OnvifDevice | None = None
        self.profiles: tuple[MediaProfile, ...] = ()
        self.stream_uris: dict[str, str] = {}
        self.snapshot_uris: dict[str, str] = {}
        self.answered: dict[str, bool] = {}  # capability -> answered

    async def step(
        self, n: int, total: int, name: str, body: Callable[[], Awaitable[None]]
    ) -> None:
        self.say(f"[{n:>2}/{total}] {name}")
        try:
            await body()
        except (OnvifError, OSError, TimeoutError, ValueError, LookupError) as exc:
            self.report.problem(f"{name}: {type(exc).__name__}: {exc}")

    def credentials(self, uri: str, what: str) -> tuple[str | None, str | None]:
        """The device's user and password for a URI it named, only on its own host (any
        port: streams and stills have theirs); elsewhere none, and the report says so."""
        try:
            same = host_port(uri)[0] == host_port(self.report.url)[0]
        except ValueError:
            same = False
        if same:
            return self.user, self.password
        if self.user:
            self.report.note(
                f"{what} is on another host than the device: credentials withheld "
                f"({redact_url(uri)[:120]})"
            )
        return None, None

    @property
    def d(self) -> OnvifDevice:
        assert self.dev is not None
        return self.dev

    # --- steps ------------------------------------------------------------------------

    async def connect(self, http: SoapHttp) -> bool:
        r = self.report
        self.dev = OnvifDevice(
            r.url, self.user, self.password, http=http, timeout_s=self.opts.call_timeout_s
        )
        try:
            await self.d.session.call(
                self.d.url, tds.get_system_date_and_time(), authenticate=False
            )
        except NotAuthorizedFault:
            r.date_needs_auth = True
            r.note(
                "GetSystemDateAndTime demands credentials (ONVIF Core allows it unauthenticated)"
            )
        except OnvifError as exc:
            log.debug("unauthenticated GetSystemDateAndTime: %s", exc)
        try:
            await self.d.connect()
            # Some devices answer GetServices to anyone: prove the credentials as well.
            info = await self.d.device_information()
        except OnvifError as exc:
            r.problem(f"device service at {r.url} not usable: {type(exc).__name__}: {exc}")
            return False
        r.manufacturer, r.model, r.firmware = info.manufacturer, info.model, info.firmware_version
        r.serial, r.hardware_id = info.serial_number, info.hardware_id
        r.reached = True
        r.clock_offset_s = round(self.d.clock_offset_s, 3)
        r.http_digest = self.d.session.uses_digest
        if r.http_digest:
            r.note("device demands HTTP Digest in addition to WS-UsernameToken")
        r.services = sorted(self.d.services)
        if abs(self.d.clock_offset_s) > CLOCK_TOLERANCE_S:
            r.problem(
                f"device clock is {self.d.clock_offset_s:+.1f} s off: set NTP (authentication"
                " and event times depend on it)"
            )
        return True

    async def identity(self) -> None:
        r = self.report
        r.scopes = list(await self.d.scopes())
        r.declared_profiles = sorted(declared_profiles(r.scopes))

    async def media(self) -> None:
        r = self.report
        if not (self.d.has_service(TRT) or self.d.has_service(TR2)):
            r.problem("no media service: no video for the VMS")
            return
        r.media_service = "media2" if self.d.media2 else "media"
        self.profiles = await self.d.profiles()
        self.answered["media2"] = self.d.media2
        if not self.profiles:
            r.problem("media service lists no profile")
        for p in self.profiles:
            try:
                self.stream_uris[p.token] = (await self.d.stream_uri(p.token)).uri
            except OnvifError as exc:
                r.problem(f"GetStreamUri {p.token}: {exc}")
            try:
                self.snapshot_uris[p.token] = (await self.d.snapshot_uri(p.token)).uri
            except OnvifError as exc:
                r.note(f"GetSnapshotUri {p.token}: {exc}")
        self.answered["streams"] = bool(self.stream_uris)

    async def streams(self) -> None:
        for p in self.profiles:
            uri = self.stream_uris.get(p.token)
            if uri is None:
                continue
            self.say(f"        decoding {p.token} for {self.opts.stream_seconds:g} s")
            user, password = self.credentials(uri, f"stream {p.token}")
            got = await checks.check_stream(p, uri, user, password, self.opts.stream_seconds)
            self.report.streams.append(got)
            self._judge_stream(got)

    def _judge_stream(self, s: StreamReport) -> None:
        r = self.report
        if s.error:
            r.problem(f"stream {s.profile} ({s.uri}) does not play: {s.error}")
            return
        if s.declared_width and (s.width, s.height) != (s.declared_width, s.declared_height):
            r.problem(
                f"stream {s.profile} is {s.width}x{s.height}, profile says "
                f"{s.declared_width}x{s.declared_height}"
            )
        declared = (s.declared_encoding or "").lower().replace(".", "")
        if declared and declared not in s.codec.lower().replace("hevc", "h265"):
            r.problem(f"stream {s.profile} is {s.codec}, profile says {s.declared_encoding}")
        if s.declared_fps and s.fps and abs(s.fps - s.declared_fps) > 0.3 * s.declared_fps:
            r.note(f"stream {s.profile}: {s.fps:.1f} fps measured, {s.declared_fps:g} declared")

    async def snapshots(self, http: aiohttp.ClientSession) -> None:
        for token, uri in self.snapshot_uris.items():
            if not uri:
                continue
            user, password = self.credentials(uri, f"snapshot {token}")
            got = await checks.fetch_snapshot(http, token, uri, user, password)
            self.report.snapshots.append(got)
            if got.error:
                self.report.problem(f"snapshot {token} ({got.uri}): {got.error}")

    async def events(self) -> None:
        r = self.report
        if not self.d.has_service(TEV):
            r.problem("no event service: presses and inputs cannot reach callpoint by ONVIF")
            return
        props = await self.d.event_properties()
        r.event_topics = sorted({t.topic for t in props.topics})
        for topic in r.event_topics:
            kind = topic_event(topic)
            if kind is not None:
                r.mapped_topics[topic] = kind
        if not r.mapped_topics:
            r.problem("no event topic maps to a callpoint event (inputs, motion, doors)")
        sub = await self.d.create_pull_point(PULL_TEST_LIFETIME_S)
        got = await self.d.pull_messages(sub, 1.0, 100)
        r.pullpoint_messages = len(got.messages)
        self.answered["events"] = True

    async def io(self) -> None:
        r = self.report
        if self.d.has_service(TMD):
            r.digital_inputs = [i.token for i in await self.d.digital_inputs()]
        try:
            r.relays = [o.token for o in await self.d.relay_outputs()]
        except ActionNotSupportedFault:
            r.note("GetRelayOutputs is not supported: the device has no ONVIF relay")

    async def doors(self) -> None:
        r = self.report
        if self.d.has_service(TDC):
            r.doors = [d.token for d in await self.d.door_info_list()]
            self.answered["doors"] = True
        if self.d.has_service(TAC):
            await self.d.access_point_info_list()
            self.answered["access"] = True
        if not r.doors and not r.relays:
            r.note("no door and no relay: door release needs the HTTP API or dry contacts")

    async def ptz(self) -> None:
        with_ptz = [p for p in self.profiles if p.ptz_configuration_token]
        if not self.d.has_service(TPTZ) or not with_ptz:
            return
        for p in with_ptz[:1]:  # presets live on the PTZ node: one profile says it all
            presets = await self.d.presets(p.token)
            self.report.ptz_presets[p.token] = [f"{x.token}:{x.name or ''}" for x in presets]

    async def backchannel(self) -> None:
        r = self.report
        outputs: tuple[object, ...] = ()
        try:
            outputs = tuple(await self.d.audio_output_configurations())
        except OnvifError as exc:
            log.debug("GetAudioOutputConfigurations: %s", exc)
        with_bc = tuple(p.token for p in self.profiles if p.has_backchannel)
        uri = next(iter(self.stream_uris.values()), None)
        if uri is None:
            return
        user, password = self.credentials(uri, "backchannel stream")
        got = await checks.check_backchannel(uri, user, password, len(outputs), with_bc)
        r.backchannel = got
        if got.error:
            r.problem(f"RTSP DESCRIBE with the backchannel Require tag failed: {got.error}")
        elif (outputs or with_bc) and not got.rtsp_offered:
            r.problem(
                "audio outputs are configured but RTSP offers no backchannel: two-way audio"
                " from the VMS will not work"
            )
        elif not got.rtsp_offered:
            r.note("no audio backchannel (two-way audio needs SIP or a vendor plug-in)")

    async def ports(self) -> None:
        r = self.report
        wanted: dict[tuple[str, int], str] = {}
        main = checks.host_port(r.url, 80)
        if main is not None:
            wanted[main] = "ONVIF HTTP"
        for uri in self.stream_uris.values():
            hp = checks.host_port(uri, 554)
            if hp is not None:
                wanted.setdefault(hp, "RTSP")
        for uri in self.snapshot_uris.values():
            hp = checks.host_port(uri, 80)
            if hp is not None:
                wanted.setdefault(hp, "snapshot HTTP")
        for (host, port), purpose in wanted.items():
            got = await checks.check_tcp(host, port, purpose)
            r.ports.append(got)
            if not got.open:
                r.problem(f"{purpose} port {host}:{port} does not accept connections")
        device_host = urlsplit(r.url).hostname
        if self.opts.discovery and device_host:
            found = await wsd_probe(targets=[(device_host, DISCOVERY_PORT)], timeout_s=1.5)
            ok = bool(found)
            r.ports.append(
                PortReport(
                    "udp", host, DISCOVERY_PORT, "WS-Discovery", ok, "" if ok else "no ProbeMatches"
                )
            )
            if not ok:
                r.note("no answer to a WS-Discovery Probe on UDP 3702: add the device by IP")

    def verify_profiles(self) -> None:
        r = self.report
        d = self.d
        have = {
            "S": self.answered.get("streams", False),
            "T": self.answered.get("media2", False) and self.answered.get("events", False),
            "G": any("recording" in ns or "search" in ns for ns in d.services),
            "C": self.answered.get("doors", False),
            "A": self.answered.get("access", False),
            "M": d.has_service(TAN),
        }
        for letter in r.declared_profiles:
            if letter not in have:
                r.verified_profiles[letter] = "declared (not checked)"
            elif have[letter]:
                r.verified_profiles[letter] = "declared, answers"
            else:
                r.verified_profiles[letter] = "declared, DOES NOT answer"
                r.problem(f"declares Profile {letter} but its services do not answer")
        for letter, ok in have.items():
            if ok and letter not in r.declared_profiles:
                r.verified_profiles[letter] = "answers, not declared"
                r.note(f"answers like Profile {letter} without declaring it in its scopes")


async def probe_device(
    url: str,
    user: str | None,
    password: str | None,
    *,
    options: ProbeOptions | None = None,
    progress: Progress = lambda _: None,
) -> ProbeReport:
    """Probe one device and return its readiness report."""
    opts = options or ProbeOptions()
    p = _Probe(url, user, password, opts, progress)
    total = 11
    async with SoapHttp() as soap, aiohttp.ClientSession() as http:
        progress(f"[ 1/{total}] reaching {url}")
        if not await p.connect(soap):
            return p.report
        await p.step(2, total, "scopes (declared profiles)", p.identity)
        await p.step(3, total, "media profiles", p.media)
        await p.step(4, total, "streams (RTSP, decoded)", p.streams)
        await p.step(5, total, "snapshots", lambda: p.snapshots(http))
        await p.step(6, total, "event topics and PullPoint", p.events)
        await p.step(7, total, "inputs and relays", p.io)
        await p.step(8, total, "doors", p.doors)
        await p.step(9, total, "PTZ presets", p.ptz)
        await p.step(10, total, "audio backchannel", p.backchannel)
        await p.step(11, total, "ports", p.ports)
        p.verify_profiles()
    return p.report
