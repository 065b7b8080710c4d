"""site.yaml, as pydantic models: what is where, and what each event must cause.

Every field has a description and bounds; unknown keys are errors. Cross-references
(a device's location, a location's cameras, a rule's consoles) are checked in site.py.
"""

from __future__ import annotations

import re
import zoneinfo
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl
from pydantic import ValidationError as _PydanticValidationError

from callpoint.config.secrets import SecretRef
from callpoint.model import EventType


def _number_as_token(value: object) -> object:
    """Preset and relay tokens are strings on the wire; YAML reads `7` as a number."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


_PLACEHOLDER = re.compile(r"\{(location|device|type|priority|incident)\}")


def _url_template(value: str) -> str:
    """An http(s) URL that may hold {location}-style placeholders, kept exactly as written."""
    try:
        HttpUrl(_PLACEHOLDER.sub("x", value))
    except _PydanticValidationError as exc:
        raise ValueError(f"not an http(s) URL: {value}") from exc
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"only http:// and https:// URLs can be called: {value}")
    return value


UrlTemplate = Annotated[str, AfterValidator(_url_template)]
Token = Annotated[str, BeforeValidator(_number_as_token), Field(min_length=1, max_length=64)]
Tag = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
Seconds = Annotated[float, Field(ge=0, le=86_400)]
PriorityValue = Annotated[int, Field(ge=0, le=100)]


class Strict(BaseModel):
    """Base of every config model: unknown keys are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _time_zone(value: str) -> str:
    """A time zone of the IANA database as installed (`UTC` always exists)."""
    if value == "UTC":
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            f"unknown time zone '{value}' (an IANA name such as Europe/Amsterdam)"
        ) from exc
    return value


class SiteInfo(Strict):
    name: Annotated[str, Field(description="Site name shown on consoles.", min_length=1)]
    timezone: Annotated[
        str, AfterValidator(_time_zone), Field(description="IANA time zone for display.")
    ] = "UTC"


class ApiToken(Strict):
    name: Annotated[str, Field(description="Who uses the token (audit name).", min_length=1)]
    token: Annotated[SecretRef, Field(description="The bearer token.")]


class ServerConfig(Strict):
    listen: Annotated[
        str,
        Field(
            description="HOST:PORT the HTTP server binds to.",
            pattern=r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$",
        ),
    ] = "127.0.0.1:8080"
    api_tokens: Annotated[
        list[ApiToken], Field(description="Bearer tokens accepted by the API.", max_length=100)
    ] = []
    public_url: Annotated[
        HttpUrl | None,
        Field(description="Base URL devices reach this server at (ONVIF Notify delivery)."),
    ] = None
    max_connections: Annotated[
        int,
        Field(
            description="Open connections on the listening port at most (fewer if the "
            "descriptor limit, less a reserve of 64, is lower); at the cap the longest-idle "
            "connection is closed to make room.",
            ge=16,
            le=1_000_000,
        ),
    ] = 10_000
    max_connections_per_peer: Annotated[
        int,
        Field(
            description="Open connections from one address at most (a PBX or NAT gateway "
            "speaks for many devices).",
            ge=1,
            le=1_000_000,
        ),
    ] = 512


class WebhookConfig(Strict):
    secret: Annotated[
        SecretRef | None,
        Field(description="Site-wide Standard Webhooks secret (whsec_<base64>)."),
    ] = None
    tolerance_s: Annotated[
        int, Field(description="Accepted clock skew of webhook-timestamp.", ge=10, le=3600)
    ] = 300
    max_body_bytes: Annotated[
        int, Field(description="Largest accepted webhook body.", ge=256, le=1_048_576)
    ] = 16_384


class EngineConfig(Strict):
    duplicate_window_s: Annotated[
        Seconds, Field(description="Same device and type inside this window is a duplicate.")
    ] = 2.0
    archive_after_s: Annotated[
        Seconds, Field(description="A cleared incident is archived after this long.")
    ] = 300.0


class ConsoleConfig(Strict):
    name: Annotated[Tag, Field(description="Console name, e.g. dispatch, supervisor, wall.")]
    description: Annotated[str, Field(description="What the screen is.")] = ""


class EscalationConfig(Strict):
    chain: Annotated[
        list[Tag],
        Field(description="Consoles reached, one per step, when nobody acknowledges."),
    ] = []


class CameraKind(StrEnum):
    PTZ = "ptz"
    FIXED = "fixed"


def _yaml_off(value: object) -> object:
    """YAML 1.1 reads an unquoted `off` as false; here it means the word."""
    return "off" if value is False else value


class OnvifEventRule(Strict):
    topic: Annotated[
        str,
        Field(
            description="Topic glob in tns1: form; * is one level, ** any, e.g. "
            "tns1:Device/Trigger/DigitalInput.",
            min_length=1,
            max_length=256,
        ),
    ]
    item: Annotated[
        str | None,
        Field(description="SimpleItem name to test (Data, then Source, then Key); any if unset."),
    ] = None
    value: Annotated[
        str | None,
        Field(description="Value the item must have (true/false/1/0 compared loosely)."),
    ] = None
    source: Annotated[
        dict[str, str],
        Field(description="Source items that must match too, e.g. InputToken: call-button."),
    ] = {}
    event: Annotated[EventType, Field(description="callpoint event type raised.")]


# host, host:port, [v6] or [v6]:port, or a bare IPv6 address (see media/credential_scope.py)
_ALLOWED_HOST = (
    r"^(\[[0-9a-fA-F:.]+\](:[0-9]{1,5})?|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(:[0-9]{1,5})?"
    r"|[0-9a-fA-F]*:[0-9a-fA-F:.]+)$"
)


def _allowed_host(value: str) -> str:
    """`host:port` and `[v6]:port` in snapshot_hosts: the port must be a real one."""
    rest = value.rsplit("]", 1)[-1] if value.startswith("[") else value
    port = rest.partition(":")[2] if rest.count(":") == 1 else ""
    if port and not 0 < int(port) < 65536:
        raise ValueError(f"port out of range in {value}")
    return value


AllowedHost = Annotated[str, Field(pattern=_ALLOWED_HOST), AfterValidator(_allowed_host)]


class OnvifEndpoint(Strict):
    url: Annotated[HttpUrl, Field(description="Device service URL (…/onvif/device_service).")]
    username: Annotated[str, Field(description="ONVIF user.", min_length=1)]
    password: Annotated[SecretRef, Field(description="ONVIF password.")]
    events: Annotated[
        list[OnvifEventRule],
        Field(description="Topic and item values -> event type, first match wins.", max_length=64),
    ] = []
    default_events: Annotated[
        bool,
        Field(description="After `events`, map the common ONVIF topics (inputs, motion, doors)."),
    ] = True
    event_mode: Annotated[
        Literal["pullpoint", "notify", "off"],
        BeforeValidator(_yaml_off),
        Field(
            description="Preferred event delivery; the other one is tried when it fails "
            "(notify needs server.public_url). off: no subscription."
        ),
    ] = "pullpoint"
    snapshot_hosts: Annotated[
        list[AllowedHost],
        Field(
            description="Other hosts (`host` = any port, or `host:port`) the camera's "
            "snapshot URI may name and that receive its username and password. Unlisted: "
            "only the host and port of `url`; a snapshot elsewhere is fetched without them.",
            max_length=16,
        ),
    ] = []
    allow_basic_over_http: Annotated[
        bool,
        Field(
            description="Answer a snapshot server's Basic challenge over plain http (the "
            "password crosses the network readable). Off: Digest over http, Basic over https."
        ),
    ] = False


class CameraConfig(Strict):
    id: Annotated[Tag, Field(description="Camera id, e.g. TANKFARM-EAST-PTZ-01.")]
    kind: Annotated[CameraKind, Field(description="ptz or fixed.")]
    onvif: Annotated[OnvifEndpoint | None, Field(description="How to reach it.")] = None
    presets: Annotated[
        dict[Token, str], Field(description="Preset token -> name, e.g. 7: Gate.")
    ] = {}
    home_preset: Annotated[
        Token | None, Field(description="Preset used as home; ONVIF home position if unset.")
    ] = None


class LocationConfig(Strict):
    tag: Annotated[Tag, Field(description="Location tag, the mapping key.")]
    description: Annotated[str, Field(description="Where it is, for operators.")] = ""
    cameras: Annotated[
        list[Tag], Field(description="Cameras covering it, nearest first.", max_length=32)
    ] = []
    presets: Annotated[
        dict[Tag, Token],
        Field(description="Camera id -> preset token to call for routine events."),
    ] = {}
    sos_presets: Annotated[
        dict[Tag, Token],
        Field(description="Camera id -> preset token for emergencies (wider zone)."),
    ] = {}
    alternates: Annotated[
        list[Tag], Field(description="Cameras shown when a location camera is down.")
    ] = []
    consoles: Annotated[
        list[Tag], Field(description="Assigned console(s) for routine pop-ups.", min_length=1)
    ]


class DeviceKind(StrEnum):
    PHONE = "phone"
    INTERCOM = "intercom"
    CALL_POINT = "call_point"
    IO_MODULE = "io_module"


class WebhookAuth(Strict):
    secret: Annotated[
        SecretRef | None, Field(description="This device's Standard Webhooks secret.")
    ] = None
    token: Annotated[SecretRef | None, Field(description="This device's bearer token.")] = None


class SipIdentity(Strict):
    extension: Annotated[
        str, Field(description="SIP user / extension of the device.", pattern=r"^[\w.+*#-]{1,32}$")
    ]


class IoChannel(Strict):
    module: Annotated[Tag, Field(description="I/O module device id.")]
    input: Annotated[int, Field(description="Discrete input number.", ge=0, le=65535)]
    event: Annotated[EventType, Field(description="Event type raised when the contact closes.")]


class DeviceConfig(Strict):
    id: Annotated[Tag, Field(description="Device id, e.g. EXPH-03.")]
    kind: Annotated[DeviceKind, Field(description="phone, intercom, call_point or io_module.")]
    location: Annotated[Tag, Field(description="Location tag of the device.")]
    webhook: Annotated[WebhookAuth | None, Field(description="Per-device webhook auth.")] = None
    sip: Annotated[SipIdentity | None, Field(description="SIP identity.")] = None
    onvif: Annotated[OnvifEndpoint | None, Field(description="ONVIF endpoint.")] = None
    camera: Annotated[Tag | None, Field(description="Camera id of a video intercom.")] = None
    io: Annotated[list[IoChannel], Field(description="Contacts wired to I/O inputs.")] = []
    bridge: Annotated[
        Literal["onvif"] | None,
        Field(description="Serve this device as an ONVIF device to a VMS."),
    ] = None


CameraSelector = Literal["primary", "all"]
ConsoleSelector = Literal["assigned"] | list[Tag]


class PresetSpec(Strict):
    do: Literal["preset"]
    cameras: Annotated[
        CameraSelector, Field(description="primary: nearest PTZ only; all: every PTZ.")
    ] = "primary"
    emergency: Annotated[bool, Field(description="Use the location's sos_presets.")] = False
    home_after_s: Annotated[
        Seconds, Field(description="Return to home this long after the incident clears.")
    ] = 30.0


class RecordSpec(Strict):
    do: Literal["record"]
    cameras: Annotated[
        int | Literal["all"], Field(description="How many location cameras to record.")
    ] = "all"
    pre_roll_s: Annotated[Seconds, Field(description="Seconds kept before the event.")] = 5.0
    duration_s: Annotated[Seconds, Field(description="Minimum clip length.")] = 45.0
    post_roll_s: Annotated[Seconds, Field(description="Seconds kept after clearing.")] = 30.0
    forced: Annotated[bool, Field(description="Record even if the schedule says no.")] = False
    bookmark: Annotated[
        str | None, Field(description="Bookmark text; {location} {device} {type} expand.")
    ] = None


class ShowSpec(Strict):
    do: Literal["show"]
    cameras: Annotated[int | Literal["all"], Field(description="How many cameras.")] = 2
    consoles: Annotated[ConsoleSelector, Field(description="Where to show.")] = "assigned"
    layout: Annotated[str | None, Field(description="Named VMS/console layout.")] = None


class PopupSpec(Strict):
    do: Literal["popup"]
    consoles: Annotated[ConsoleSelector, Field(description="Consoles that get the pop-up.")] = (
        "assigned"
    )
    layout: Annotated[str | None, Field(description="Layout, e.g. wall-2x2.")] = None


class HttpSpec(Strict):
    do: Literal["http"]
    url: Annotated[UrlTemplate, Field(description="URL to call; {location} etc. may appear.")]
    method: Annotated[Literal["GET", "POST", "PUT"], Field(description="HTTP method.")] = "POST"
    body: Annotated[str | None, Field(description="Body template.", max_length=8192)] = None
    timeout_s: Annotated[float, Field(description="Per attempt.", gt=0, le=60)] = 5.0


class RelaySpec(Strict):
    do: Literal["relay", "door", "beacon"]
    device: Annotated[Tag | None, Field(description="Device; the event's device if unset.")] = None
    output: Annotated[Token, Field(description="Relay/coil/door token.")] = "1"
    mode: Annotated[
        Literal["on", "off", "pulse"], Field(description="Switch on, off, or pulse for pulse_s.")
    ] = "pulse"
    pulse_s: Annotated[Seconds, Field(description="Pulse length.")] = 3.0


class VmsEventSpec(Strict):
    do: Literal["vms_event"]
    target: Annotated[str, Field(description="VMS connector name.", min_length=1)]
    name: Annotated[str, Field(description="Event name in the VMS.", min_length=1)]


class PublishSpec(Strict):
    do: Literal["publish"]
    topic: Annotated[str, Field(description="Topic template.", min_length=1)]


ActionSpec = Annotated[
    PresetSpec
    | RecordSpec
    | ShowSpec
    | PopupSpec
    | HttpSpec
    | RelaySpec
    | VmsEventSpec
    | PublishSpec,
    Field(discriminator="do"),
]


class RuleConfig(Strict):
    name: Annotated[str, Field(description="Rule name for logs.", min_length=1)]
    on: Annotated[list[EventType], Field(description="Event types it reacts to.", min_length=1)]
    priority: Annotated[PriorityValue, Field(description="0-100; higher wins.")] = 10
    opens_incident: Annotated[bool, Field(description="Open (or raise) an incident.")] = True
    clears: Annotated[
        list[EventType],
        Field(description="Clear the location's incident if it was triggered by one of these."),
    ] = []
    marks_live: Annotated[bool, Field(description="Mark the incident as a live call.")] = False
    ack_timeout_s: Annotated[
        Seconds | None, Field(description="Escalate when not acknowledged within this.")
    ] = None
    actions: Annotated[list[ActionSpec], Field(description="What to do.", max_length=64)] = []


class SyslogOutput(Strict):
    host: Annotated[str, Field(description="Syslog receiver host.", min_length=1)]
    port: Annotated[int, Field(description="Receiver port.", ge=1, le=65535)] = 514
    transport: Annotated[
        Literal["udp", "tcp"], Field(description="udp, or tcp with octet-counting framing.")
    ] = "udp"
    facility: Annotated[int, Field(description="Syslog facility 0-23.", ge=0, le=23)] = 13


class OutputsConfig(Strict):
    syslog: Annotated[list[SyslogOutput], Field(description="Syslog receivers.")] = []


class OnvifBridgeConfig(Strict):
    listen: Annotated[
        str,
        Field(
            description="Address the bridged devices are served on (one port each).",
            pattern=r"^([0-9a-fA-F:]+|[A-Za-z0-9.-]+)$",
        ),
    ] = "127.0.0.1"
    first_port: Annotated[
        int,
        Field(
            description="Port of the first bridged device, the next ones follow in file "
            "order; 0 picks free ports at each start (tests only: a VMS needs fixed ones).",
            ge=0,
            le=65000,
        ),
    ] = 0
    username: Annotated[str, Field(description="ONVIF user the VMS logs in as.", min_length=1)] = (
        "admin"
    )
    password: Annotated[
        SecretRef | None,
        Field(
            description="ONVIF password; unset: a random one, made at the first start, kept "
            "in `password_file` (mode 0600) and never logged."
        ),
    ] = None
    password_file: Annotated[
        str | None,
        Field(
            description="Where a generated password is kept; default: "
            "onvif-bridge-password next to the database.",
            min_length=1,
            max_length=4096,
        ),
    ] = None
    relay_pulse_s: Annotated[
        float,
        Field(description="How long a VMS relay activation releases the door.", gt=0, le=60),
    ] = 3.0


class SiteConfig(Strict):
    """The whole site.yaml."""

    site: Annotated[SiteInfo, Field(description="Name and time zone.")]
    server: Annotated[ServerConfig, Field(description="Listen address, API tokens.")] = (
        ServerConfig()
    )
    webhook: Annotated[WebhookConfig, Field(description="Device webhook ingress.")] = (
        WebhookConfig()
    )
    engine: Annotated[EngineConfig, Field(description="Duplicates and archiving.")] = EngineConfig()
    consoles: Annotated[list[ConsoleConfig], Field(description="Operator screens.", min_length=1)]
    escalation: Annotated[
        EscalationConfig, Field(description="Who is reached when nobody acknowledges.")
    ] = EscalationConfig()
    cameras: Annotated[list[CameraConfig], Field(description="Cameras, PTZ and fixed.")] = []
    locations: Annotated[
        list[LocationConfig],
        Field(description="Location tags: the mapping key from devices to cameras.", min_length=1),
    ]
    devices: Annotated[
        list[DeviceConfig], Field(description="Phones, intercoms, call points, I/O modules.")
    ] = []
    rules: Annotated[list[RuleConfig], Field(description="Event type to actions.")] = []
    outputs: Annotated[OutputsConfig, Field(description="Syslog and other outputs.")] = (
        OutputsConfig()
    )
    onvif_bridge: Annotated[
        OnvifBridgeConfig,
        Field(description="How devices with `bridge: onvif` are served to a VMS."),
    ] = OnvifBridgeConfig()
