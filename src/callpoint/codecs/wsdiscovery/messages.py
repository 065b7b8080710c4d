"""WS-Discovery 1.0 (April 2005) messages, as ONVIF devices and clients exchange them.

ONVIF Core (section 7.3) uses the 2005/04 draft of WS-Discovery with WS-Addressing
2004/08, over SOAP 1.2 on UDP port 3702. Type names are kept in Clark notation
(``{namespace}local``) so that two devices using different prefixes compare equal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from callpoint.onvif import scopes as onvif_scopes
from callpoint.onvif.namespaces import DN, TDS, WSD, qname

MULTICAST_ADDRESS = "239.255.255.250"
DISCOVERY_PORT = 3702
# wsa:To of every multicast message (WS-Discovery 2005/04 section 2.4).
TO_DISCOVERY = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
# wsa:To of a reply sent back to whoever asked (WS-Addressing 2004/08 anonymous role).
TO_ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

ACTION_PROBE = f"{WSD}/Probe"
ACTION_PROBE_MATCHES = f"{WSD}/ProbeMatches"
ACTION_HELLO = f"{WSD}/Hello"
ACTION_BYE = f"{WSD}/Bye"
ACTION_RESOLVE = f"{WSD}/Resolve"
ACTION_RESOLVE_MATCHES = f"{WSD}/ResolveMatches"

# Scope matching rules (section 5.1). RFC 3986 prefix matching is the default.
MATCH_BY_RFC3986 = f"{WSD}/rfc3986"
MATCH_BY_STRCMP0 = f"{WSD}/strcmp0"

# ONVIF Core 7.3.2.1: a device is a dn:NetworkVideoTransmitter; newer ones also tds:Device.
NETWORK_VIDEO_TRANSMITTER = qname(DN, "NetworkVideoTransmitter")
DEVICE = qname(TDS, "Device")


def new_message_id() -> str:
    """A fresh wsa:MessageID."""
    return f"urn:uuid:{uuid.uuid4()}"


@dataclass(frozen=True, slots=True)
class AppSequence:
    """wsd:AppSequence: lets receivers order a sender's announcements (section 7)."""

    instance_id: int
    message_number: int
    sequence_id: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A Target Service as Hello, ProbeMatch and ResolveMatch describe it."""

    address: str  # the wsa:EndpointReference address, stable across reboots
    types: tuple[str, ...] = ()  # Clark QNames
    scopes: tuple[str, ...] = ()
    xaddrs: tuple[str, ...] = ()  # where to send SOAP: the device service URLs
    metadata_version: int = 1


@dataclass(frozen=True, slots=True)
class Probe:
    """Looks for Target Services of all `types` within all `scopes` (empty: any)."""

    types: tuple[str, ...] = (NETWORK_VIDEO_TRANSMITTER,)
    scopes: tuple[str, ...] = ()
    match_by: str = MATCH_BY_RFC3986
    message_id: str = field(default_factory=new_message_id)


@dataclass(frozen=True, slots=True)
class ProbeMatches:
    """The answer to a Probe, sent by unicast to its sender."""

    relates_to: str
    matches: tuple[Endpoint, ...]
    app_sequence: AppSequence | None = None
    message_id: str = field(default_factory=new_message_id)


@dataclass(frozen=True, slots=True)
class Hello:
    """A Target Service joining the network."""

    endpoint: Endpoint
    app_sequence: AppSequence | None = None
    message_id: str = field(default_factory=new_message_id)


@dataclass(frozen=True, slots=True)
class Bye:
    """A Target Service leaving the network (only the address is required)."""

    endpoint: Endpoint
    app_sequence: AppSequence | None = None
    message_id: str = field(default_factory=new_message_id)


@dataclass(frozen=True, slots=True)
class Resolve:
    """Asks for the transport addresses of one endpoint."""

    address: str
    message_id: str = field(default_factory=new_message_id)


@dataclass(frozen=True, slots=True)
class ResolveMatches:
    """The answer to a Resolve; `match` is None for an empty answer."""

    relates_to: str
    match: Endpoint | None
    app_sequence: AppSequence | None = None
    message_id: str = field(default_factory=new_message_id)


Message = Probe | ProbeMatches | Hello | Bye | Resolve | ResolveMatches


@dataclass(frozen=True, slots=True)
class ScopeInfo:
    """What an ONVIF device says about itself in its scopes (ONVIF Core 7.3.2.2)."""

    name: str | None
    hardware: str | None
    locations: tuple[str, ...]
    profiles: frozenset[str]  # letters: S, G, T, ...
    types: tuple[str, ...]  # onvif://www.onvif.org/type/... values

    @classmethod
    def from_scopes(cls, scopes: tuple[str, ...]) -> ScopeInfo:
        """Read the onvif:// scopes; other scopes are ignored."""
        return cls(
            name=onvif_scopes.scope_name(scopes),
            hardware=onvif_scopes.scope_hardware(scopes),
            locations=onvif_scopes.scope_locations(scopes),
            profiles=onvif_scopes.declared_profiles(scopes),
            types=onvif_scopes.scope_values(scopes, "type"),
        )
