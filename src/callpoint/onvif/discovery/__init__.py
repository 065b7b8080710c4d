"""WS-Discovery for ONVIF (2005/04 draft, as ONVIF Core 7.3 uses it).

Pure codec (in :mod:`callpoint.codecs.wsdiscovery`, re-exported here): `encode`, `decode`
and the message classes; `probe_matches` for the rules.
Transport: `probe` and `resolve` (multicast and/or directed unicast), `HelloByeListener`,
`DiscoveryResponder`. Multicast is never used unless a caller passes ``multicast=True``.
"""

from callpoint.codecs.wsdiscovery.decode import decode
from callpoint.codecs.wsdiscovery.encode import encode
from callpoint.codecs.wsdiscovery.messages import (
    DEVICE,
    DISCOVERY_PORT,
    MULTICAST_ADDRESS,
    NETWORK_VIDEO_TRANSMITTER,
    AppSequence,
    Bye,
    Endpoint,
    Hello,
    Message,
    Probe,
    ProbeMatches,
    Resolve,
    ResolveMatches,
    ScopeInfo,
)
from callpoint.onvif.discovery.listener import (
    Announcement,
    AnnouncementTracker,
    HelloByeListener,
    ListenerClosedError,
)
from callpoint.onvif.discovery.matching import probe_matches
from callpoint.onvif.discovery.prober import Discovered, ProbeCollector, probe, resolve
from callpoint.onvif.discovery.responder import DiscoveryResponder, ResponderCore

__all__ = [
    "DEVICE",
    "DISCOVERY_PORT",
    "MULTICAST_ADDRESS",
    "NETWORK_VIDEO_TRANSMITTER",
    "Announcement",
    "AnnouncementTracker",
    "AppSequence",
    "Bye",
    "Discovered",
    "DiscoveryResponder",
    "Endpoint",
    "Hello",
    "HelloByeListener",
    "ListenerClosedError",
    "Message",
    "Probe",
    "ProbeCollector",
    "ProbeMatches",
    "Resolve",
    "ResolveMatches",
    "ResponderCore",
    "ScopeInfo",
    "decode",
    "encode",
    "probe",
    "probe_matches",
    "resolve",
]
