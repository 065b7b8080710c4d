"""Device management service (ONVIF Core, devicemgmt.wsdl): identity, services, time."""

from __future__ import annotations

import hashlib
from datetime import UTC
from urllib.parse import urlsplit

from lxml import etree

from callpoint.onvif.errors import InvalidArgsFault, NoSuchServiceFault
from callpoint.onvif.namespaces import TDS, TT, qname
from callpoint.onvif.server.capabilities import (
    SERVICE_VERSION,
    capability_tree,
    hosted_services,
    service_capabilities,
)
from callpoint.onvif.server.dispatch import (
    SERVICE_NAMESPACES,
    AccessClass,
    Reply,
    Request,
    Service,
    operation,
)
from callpoint.onvif.server.model import RelayLogicalState
from callpoint.onvif.server.runtime import DeviceRuntime, service_url
from callpoint.onvif.server.xmlbuild import parse_bool, req_text, root, sub, xbool


@operation(Service.DEVICE, qname(TDS, "GetDeviceInformation"), AccessClass.READ_SYSTEM)
async def get_device_information(req: Request) -> Reply:
    """Manufacturer, model, firmware, serial number, hardware id."""
    ident = req.runtime.device.config.identity
    body = root(TDS, "GetDeviceInformationResponse")
    sub(body, TDS, "Manufacturer", ident.manufacturer)
    sub(body, TDS, "Model", ident.model)
    sub(body, TDS, "FirmwareVersion", ident.firmware_version)
    sub(body, TDS, "SerialNumber", ident.serial_number)
    sub(body, TDS, "HardwareId", ident.hardware_id)
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetServices"), AccessClass.PRE_AUTH)
async def get_services(req: Request) -> Reply:
    """Every hosted service with its XAddr, optionally with its capabilities."""
    include = parse_bool(req_text(req.body, "IncludeCapability"), "IncludeCapability")
    body = root(TDS, "GetServicesResponse")
    for service in hosted_services(req.runtime):
        entry = sub(body, TDS, "Service")
        sub(entry, TDS, "Namespace", SERVICE_NAMESPACES[service])
        sub(entry, TDS, "XAddr", service_url(req.base_url, service))
        if include:
            holder = sub(entry, TDS, "Capabilities")
            service_capabilities(holder, service, req.runtime)
        version = sub(entry, TDS, "Version")
        sub(version, TT, "Major", str(SERVICE_VERSION[0]))
        sub(version, TT, "Minor", str(SERVICE_VERSION[1]))
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetCapabilities"), AccessClass.PRE_AUTH)
async def get_capabilities(req: Request) -> Reply:
    """The pre-2.0 capability tree with XAddrs (what older VMS drivers use)."""
    # Category is a list (maxOccurs unbounded); none means All.
    asked = {
        (c.text or "").strip()
        for c in req.body
        if isinstance(c.tag, str) and etree.QName(c).localname == "Category"
    } or {"All"}
    unknown = asked - {"All", "Analytics", "Device", "Events", "Imaging", "Media", "PTZ"}
    if unknown:
        raise InvalidArgsFault(f"unknown capability categories {sorted(unknown)}")
    body = root(TDS, "GetCapabilitiesResponse")
    capability_tree(body, req, frozenset(asked))
    caps = body[0]
    if len(caps) == 0:
        # ONVIF Core, GetCapabilities: a category the device lacks is ter:NoSuchService.
        raise NoSuchServiceFault(f"no service for capability categories {sorted(asked)}")
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetSystemDateAndTime"), AccessClass.PRE_AUTH)
async def get_system_date_and_time(req: Request) -> Reply:
    """The device clock in UTC; unauthenticated so clients can correct their tokens."""
    now = req.runtime.device.clock().astimezone(UTC)
    body = root(TDS, "GetSystemDateAndTimeResponse")
    sdt = sub(body, TDS, "SystemDateAndTime")
    sub(sdt, TT, "DateTimeType", "Manual")
    sub(sdt, TT, "DaylightSavings", "false")
    tz = sub(sdt, TT, "TimeZone")
    sub(tz, TT, "TZ", "UTC0")
    for name in ("UTCDateTime", "LocalDateTime"):
        stamp = sub(sdt, TT, name)
        time = sub(stamp, TT, "Time")
        sub(time, TT, "Hour", str(now.hour))
        sub(time, TT, "Minute", str(now.minute))
        sub(time, TT, "Second", str(now.second))
        date = sub(stamp, TT, "Date")
        sub(date, TT, "Year", str(now.year))
        sub(date, TT, "Month", str(now.month))
        sub(date, TT, "Day", str(now.day))
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetHostname"), AccessClass.PRE_AUTH)
async def get_hostname(req: Request) -> Reply:
    """The device's host name (its id; not from DHCP)."""
    body = root(TDS, "GetHostnameResponse")
    info = sub(body, TDS, "HostnameInformation")
    sub(info, TT, "FromDHCP", "false")
    sub(info, TT, "Name", req.runtime.device.device_id)
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetScopes"), AccessClass.READ_SYSTEM)
async def get_scopes(req: Request) -> Reply:
    """Scope URIs, all Fixed (the virtual device's identity is its configuration)."""
    body = root(TDS, "GetScopesResponse")
    for scope in req.runtime.device.scopes():
        entry = sub(body, TDS, "Scopes")
        sub(entry, TT, "ScopeDef", "Fixed")
        sub(entry, TT, "ScopeItem", scope)
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetUsers"), AccessClass.READ_SYSTEM_SECRET)
async def get_users(req: Request) -> Reply:
    """User names and levels; passwords are never returned."""
    body = root(TDS, "GetUsersResponse")
    for user in req.runtime.device.config.users:
        entry = sub(body, TDS, "User")
        sub(entry, TT, "Username", user.username)
        sub(entry, TT, "UserLevel", user.level.value)
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetNetworkInterfaces"), AccessClass.READ_SYSTEM)
async def get_network_interfaces(req: Request) -> Reply:
    """One loopback-style interface with a stable, locally administered MAC address."""
    digest = hashlib.sha256(req.runtime.device.device_id.encode()).digest()
    mac = ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))
    body = root(TDS, "GetNetworkInterfacesResponse")
    nic = sub(body, TDS, "NetworkInterfaces", token="eth0")  # noqa: S106 - ONVIF token
    sub(nic, TT, "Enabled", "true")
    info = sub(nic, TT, "Info")
    sub(info, TT, "Name", "eth0")
    sub(info, TT, "HwAddress", mac)
    sub(info, TT, "MTU", "1500")
    ipv4 = sub(nic, TT, "IPv4")
    sub(ipv4, TT, "Enabled", "true")
    config = sub(ipv4, TT, "Config")
    manual = sub(config, TT, "Manual")
    sub(manual, TT, "Address", req.runtime.advertised_ip)
    sub(manual, TT, "PrefixLength", "8")
    sub(config, TT, "DHCP", "false")
    return Reply(body)


def relay_outputs(body: etree._Element, ns: str, runtime: DeviceRuntime) -> None:
    """tt:RelayOutput entries (shared by Device and DeviceIO)."""
    for relay in runtime.device.relays.values():
        entry = sub(body, ns, "RelayOutputs", token=relay.token)
        props = sub(entry, TT, "Properties")
        sub(props, TT, "Mode", relay.mode.value)
        sub(props, TT, "DelayTime", f"PT{relay.delay_time_s:g}S")
        sub(props, TT, "IdleState", relay.idle_state.value)


def set_relay_state(req: Request) -> None:
    """Apply SetRelayOutputState (shared by Device and DeviceIO)."""
    token = req_text(req.body, "RelayOutputToken")
    raw = req_text(req.body, "LogicalState")
    try:
        state = RelayLogicalState(raw)
    except ValueError:
        raise InvalidArgsFault(f"LogicalState must be active or inactive, not {raw!r}") from None
    req.runtime.device.set_relay(token, state)


@operation(Service.DEVICE, qname(TDS, "GetRelayOutputs"), AccessClass.READ_SYSTEM)
async def get_relay_outputs(req: Request) -> Reply:
    """Relay outputs with their settings."""
    body = root(TDS, "GetRelayOutputsResponse")
    relay_outputs(body, TDS, req.runtime)
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "SetRelayOutputState"), AccessClass.ACTUATE)
async def set_relay_output_state(req: Request) -> Reply:
    """Drive a relay output."""
    set_relay_state(req)
    return Reply(root(TDS, "SetRelayOutputStateResponse"))


@operation(Service.DEVICE, qname(TDS, "GetWsdlUrl"), AccessClass.PRE_AUTH)
async def get_wsdl_url(req: Request) -> Reply:
    """Where the WSDLs are documented (the official ONVIF site)."""
    body = root(TDS, "GetWsdlUrlResponse")
    sub(body, TDS, "WsdlUrl", "http://www.onvif.org/Documents/Specifications.aspx")
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetEndpointReference"), AccessClass.PRE_AUTH)
async def get_endpoint_reference(req: Request) -> Reply:
    """The device's stable endpoint reference (the same one WS-Discovery announces)."""
    body = root(TDS, "GetEndpointReferenceResponse")
    sub(body, TDS, "GUID", req.runtime.device.endpoint_reference)
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetNetworkProtocols"), AccessClass.READ_SYSTEM)
async def get_network_protocols(req: Request) -> Reply:
    """HTTP on the port this request came in on, RTSP on the stream URIs' ports."""
    body = root(TDS, "GetNetworkProtocolsResponse")
    http = sub(body, TDS, "NetworkProtocols")
    sub(http, TT, "Name", "HTTP")
    sub(http, TT, "Enabled", "true")
    sub(http, TT, "Port", str(urlsplit(req.base_url).port or 80))
    rtsp_ports = sorted(
        {
            urlsplit(p.stream_uri).port or 554
            for p in req.runtime.device.media_profiles.values()
            if p.stream_uri.startswith("rtsp")
        }
    )
    if rtsp_ports:
        rtsp = sub(body, TDS, "NetworkProtocols")
        sub(rtsp, TT, "Name", "RTSP")
        sub(rtsp, TT, "Enabled", "true")
        for port in rtsp_ports:
            sub(rtsp, TT, "Port", str(port))
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetDNS"), AccessClass.READ_SYSTEM)
async def get_dns(req: Request) -> Reply:
    """No DNS servers: a virtual device resolves nothing."""
    body = root(TDS, "GetDNSResponse")
    info = sub(body, TDS, "DNSInformation")
    sub(info, TT, "FromDHCP", "false")
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetNetworkDefaultGateway"), AccessClass.READ_SYSTEM)
async def get_network_default_gateway(req: Request) -> Reply:
    """No gateway."""
    body = root(TDS, "GetNetworkDefaultGatewayResponse")
    sub(body, TDS, "NetworkGateway")
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetDiscoveryMode"), AccessClass.READ_SYSTEM)
async def get_discovery_mode(req: Request) -> Reply:
    """Discoverable (the WS-Discovery responder answers for it)."""
    body = root(TDS, "GetDiscoveryModeResponse")
    sub(body, TDS, "DiscoveryMode", "Discoverable")
    return Reply(body)


@operation(Service.DEVICE, qname(TDS, "GetNTP"), AccessClass.READ_SYSTEM)
async def get_ntp(req: Request) -> Reply:
    """NTP is not used by a virtual device: its clock is the host's."""
    body = root(TDS, "GetNTPResponse")
    info = sub(body, TDS, "NTPInformation")
    sub(info, TT, "FromDHCP", xbool(False))
    return Reply(body)
