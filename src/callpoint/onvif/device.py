"""Device management service (tds): requests and reply parsers.

ONVIF Device Management Service Specification (devicemgmt.wsdl, ver10). Builders return
:class:`Request`; parsers take the reply's body element and return frozen dataclasses.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from callpoint.onvif.errors import LocalProtocolError, RemoteProtocolError
from callpoint.onvif.namespaces import TDS, TT
from callpoint.onvif.request import Request, constant, request
from callpoint.onvif.xmlutil import (
    Element,
    attrs_of,
    child,
    child_texts,
    children,
    duration,
    expect,
    local,
    make,
    need_text,
    path,
    text,
    to_bool,
    to_int,
    to_seconds,
)

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class SystemDateAndTime:
    """GetSystemDateAndTimeResponse: the device clock, UTC when it gives one."""

    utc: datetime | None
    local: datetime | None
    timezone: str | None
    daylight_savings: bool
    ntp: bool

    @property
    def best(self) -> datetime | None:
        """The device's UTC time: UTCDateTime, else LocalDateTime taken as UTC."""
        return self.utc or self.local


@dataclass(frozen=True, slots=True)
class DeviceInformation:
    """GetDeviceInformationResponse."""

    manufacturer: str
    model: str
    firmware_version: str
    serial_number: str
    hardware_id: str


@dataclass(frozen=True, slots=True)
class Service:
    """One entry of GetServicesResponse (or made from GetCapabilities)."""

    namespace: str
    xaddr: str
    version: tuple[int, int] = (0, 0)
    capabilities: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class NetworkInterface:
    """One tt:NetworkInterfaces entry, reduced to what a readiness report needs."""

    token: str
    enabled: bool
    name: str | None
    hw_address: str | None
    mtu: int | None
    ipv4_dhcp: bool
    ipv4_addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RelayOutput:
    """tt:RelayOutput: token and settings (Mode, DelayTime, IdleState)."""

    token: str
    mode: str | None
    delay_time_s: float | None
    idle_state: str | None


def _dt(el: Element | None) -> datetime | None:
    """tt:DateTime (Date: Year/Month/Day, Time: Hour/Minute/Second) to datetime."""
    if el is None:
        return None
    try:
        y, mo, d = (to_int(text(el, "Date", n)) for n in ("Year", "Month", "Day"))
        h, mi, s = (to_int(text(el, "Time", n)) for n in ("Hour", "Minute", "Second"))
        if None in (y, mo, d):
            raise RemoteProtocolError("tt:DateTime without a full Date")
        # Some devices send second 60 on a leap second, or nothing for the Time.
        return datetime(y or 0, mo or 0, d or 0, h or 0, mi or 0, min(s or 0, 59), tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise RemoteProtocolError(f"invalid tt:DateTime: {exc}") from exc


def get_system_date_and_time() -> Request:
    """GetSystemDateAndTime: the one call devices answer without authentication."""
    return request(TDS, "GetSystemDateAndTime")


def parse_system_date_and_time(body: Element | None) -> SystemDateAndTime:
    """Parse GetSystemDateAndTimeResponse."""
    sdt = child(expect(body, "GetSystemDateAndTimeResponse"), "SystemDateAndTime")
    if sdt is None:
        raise RemoteProtocolError("GetSystemDateAndTimeResponse lacks SystemDateAndTime")
    return SystemDateAndTime(
        utc=_dt(child(sdt, "UTCDateTime")),
        local=_dt(child(sdt, "LocalDateTime")),
        timezone=text(sdt, "TimeZone", "TZ"),
        daylight_savings=to_bool(text(sdt, "DaylightSavings"), False),
        ntp=(text(sdt, "DateTimeType") or "").lower() == "ntp",
    )


def get_device_information() -> Request:
    """GetDeviceInformation."""
    return request(TDS, "GetDeviceInformation")


def parse_device_information(body: Element | None) -> DeviceInformation:
    """Parse GetDeviceInformationResponse (all five fields are mandatory in the XSD)."""
    fields = child_texts(expect(body, "GetDeviceInformationResponse"))
    for name in ("Manufacturer", "Model"):
        if name not in fields:
            raise RemoteProtocolError(f"GetDeviceInformationResponse lacks {name}")
    return DeviceInformation(
        manufacturer=fields["Manufacturer"],
        model=fields["Model"],
        firmware_version=fields.get("FirmwareVersion", ""),
        serial_number=fields.get("SerialNumber", ""),
        hardware_id=fields.get("HardwareId", ""),
    )


def _flat_capabilities(caps: Element | None) -> dict[str, str]:
    """Capability flags: the element's attributes, and ``Child.Attr`` for its children
    (the device service nests Network, Security, System... one level down)."""
    if caps is None:
        return {}
    flat = dict(attrs_of(caps))
    for c in caps:
        for k, v in attrs_of(c).items():
            flat[f"{local(c)}.{k}"] = v
    return flat


def get_services(include_capability: bool = True) -> Request:
    """GetServices, with each service's capabilities when asked."""
    return _get_services(include_capability)


@functools.cache
def _get_services(include_capability: bool) -> Request:
    flag = make(f"{{{TDS}}}IncludeCapability", text="true" if include_capability else "false")
    return constant(request(TDS, "GetServices", flag))


def parse_services(body: Element | None) -> tuple[Service, ...]:
    """Parse GetServicesResponse into services keyed by namespace."""
    out = []
    for svc in children(expect(body, "GetServicesResponse"), "Service"):
        caps = path(svc, "Capabilities")
        inner = child(caps, "Capabilities") if caps is not None else None
        major = to_int(text(svc, "Version", "Major")) or 0
        minor = to_int(text(svc, "Version", "Minor")) or 0
        out.append(
            Service(
                namespace=need_text(svc, "Namespace"),
                xaddr=need_text(svc, "XAddr"),
                version=(major, minor),
                capabilities=MappingProxyType(_flat_capabilities(inner)),
            )
        )
    return tuple(out)


def get_capabilities(category: str = "All") -> Request:
    """GetCapabilities: the pre-2.0 way to learn service addresses."""
    return _get_capabilities(category)


@functools.lru_cache(maxsize=16)
def _get_capabilities(category: str) -> Request:
    return constant(request(TDS, "GetCapabilities", make(f"{{{TDS}}}Category", text=category)))


# Capability element -> service namespace. Extension holds the later services.
_CAPABILITY_NAMESPACES = {
    "Device": TDS,
    "Media": "http://www.onvif.org/ver10/media/wsdl",
    "PTZ": "http://www.onvif.org/ver20/ptz/wsdl",
    "Events": "http://www.onvif.org/ver10/events/wsdl",
    "Imaging": "http://www.onvif.org/ver20/imaging/wsdl",
    "Analytics": "http://www.onvif.org/ver20/analytics/wsdl",
    "DeviceIO": "http://www.onvif.org/ver10/deviceIO/wsdl",
    "Recording": "http://www.onvif.org/ver10/recording/wsdl",
    "Search": "http://www.onvif.org/ver10/search/wsdl",
    "Replay": "http://www.onvif.org/ver10/replay/wsdl",
}


def parse_capabilities(body: Element | None) -> tuple[Service, ...]:
    """Parse GetCapabilitiesResponse into the same shape as GetServices."""
    caps = child(expect(body, "GetCapabilitiesResponse"), "Capabilities")
    if caps is None:
        raise RemoteProtocolError("GetCapabilitiesResponse lacks Capabilities")
    found: list[Service] = []
    pools = [caps, *children(caps, "Extension")]
    for pool in pools:
        for c in pool:
            ns = _CAPABILITY_NAMESPACES.get(local(c))
            xaddr = text(c, "XAddr")
            if ns is None or not xaddr:
                continue
            flags = {local(f): (f.text or "").strip() for f in c if len(f) == 0 and f.text}
            flags.pop("XAddr", None)
            found.append(Service(ns, xaddr, (0, 0), MappingProxyType(flags)))
    return tuple(found)


def get_scopes() -> Request:
    """GetScopes."""
    return request(TDS, "GetScopes")


def parse_scopes(body: Element | None) -> tuple[str, ...]:
    """Parse GetScopesResponse into its scope URIs."""
    r = expect(body, "GetScopesResponse")
    return tuple(need_text(s, "ScopeItem") for s in children(r, "Scopes"))


def get_network_interfaces() -> Request:
    """GetNetworkInterfaces."""
    return request(TDS, "GetNetworkInterfaces")


def parse_network_interfaces(body: Element | None) -> tuple[NetworkInterface, ...]:
    """Parse GetNetworkInterfacesResponse."""
    out = []
    for ni in children(expect(body, "GetNetworkInterfacesResponse"), "NetworkInterfaces"):
        v4 = path(ni, "IPv4", "Config")
        addrs: list[str] = []
        if v4 is not None:
            for kind in ("Manual", "FromDHCP", "LinkLocal"):
                for a in children(v4, kind):
                    addr, plen = text(a, "Address"), text(a, "PrefixLength")
                    if addr:
                        addrs.append(f"{addr}/{plen}" if plen else addr)
        out.append(
            NetworkInterface(
                token=ni.get("token", ""),
                enabled=to_bool(text(ni, "Enabled"), True),
                name=text(ni, "Info", "Name"),
                hw_address=text(ni, "Info", "HwAddress"),
                mtu=to_int(text(ni, "Info", "MTU")),
                ipv4_dhcp=to_bool(text(v4, "DHCP") if v4 is not None else None, False),
                ipv4_addresses=tuple(addrs),
            )
        )
    return tuple(out)


def get_relay_outputs() -> Request:
    """GetRelayOutputs (device service flavour)."""
    return request(TDS, "GetRelayOutputs")


def parse_relay_outputs(body: Element | None) -> tuple[RelayOutput, ...]:
    """Parse GetRelayOutputsResponse (tds or tmd: same shape)."""
    out = []
    for r in children(expect(body, "GetRelayOutputsResponse"), "RelayOutputs"):
        token = r.get("token")
        if not token:
            raise RemoteProtocolError("RelayOutput without token")
        out.append(
            RelayOutput(
                token=token,
                mode=text(r, "Properties", "Mode"),
                delay_time_s=to_seconds(text(r, "Properties", "DelayTime")),
                idle_state=text(r, "Properties", "IdleState"),
            )
        )
    return tuple(out)


def set_relay_output_state(token: str, active: bool) -> Request:
    """SetRelayOutputState: ``active`` energises the relay (tt:RelayLogicalState)."""
    if not token:
        raise LocalProtocolError("relay token is empty")
    return request(
        TDS,
        "SetRelayOutputState",
        make(f"{{{TDS}}}RelayOutputToken", text=token),
        make(f"{{{TDS}}}LogicalState", text="active" if active else "inactive"),
    )


def set_relay_output_settings(
    token: str, mode: str, delay_time_s: float, idle_state: str
) -> Request:
    """SetRelayOutputSettings: Monostable/Bistable, pulse length, idle open/closed."""
    if mode not in ("Monostable", "Bistable") or idle_state not in ("open", "closed"):
        raise LocalProtocolError(f"bad relay settings {mode!r}/{idle_state!r}")
    service = TDS
    props = make(
        f"{{{service}}}Properties",
        make(f"{{{TT}}}Mode", text=mode),
        make(f"{{{TT}}}DelayTime", text=duration(delay_time_s)),
        make(f"{{{TT}}}IdleState", text=idle_state),
    )
    return request(
        service,
        "SetRelayOutputSettings",
        make(f"{{{service}}}RelayOutputToken", text=token),
        props,
    )


def parse_empty(body: Element | None, name: str) -> None:
    """Check an empty reply such as SetRelayOutputStateResponse."""
    expect(body, name)
