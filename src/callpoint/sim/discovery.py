"""WS-Discovery for the simulated ONVIF devices: only when asked, never on loopback.

Each device gets a responder on the discovery port of every address (so that it hears
the multicast group) that joins the group on the interface of the simulator's address,
sends Hello at start and Bye at stop, and answers Probes with its own XAddr. Several
sockets share port 3702 (SO_REUSEADDR); the kernel hands each a copy of every multicast
datagram, so every device answers a Probe. Tests run this inside network namespaces.
"""

from __future__ import annotations

from callpoint.codecs.wsdiscovery.messages import Endpoint
from callpoint.onvif.discovery import DEVICE, NETWORK_VIDEO_TRANSMITTER, DiscoveryResponder
from callpoint.onvif.server import VirtualDevice

#: Where a responder binds: every address, or it would not receive the group's datagrams.
ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - required to receive multicast; joined on one interface


class DiscoveryRefusedError(ValueError):
    """Discovery asked for on an address where it would reach the host network."""


def check_discovery_address(address: str) -> None:
    """Discovery multicasts: refuse loopback and wildcard addresses, which would send it
    on whatever interface the host routes the group to."""
    if address.startswith("127.") or address in ("0.0.0.0", "::", "::1", "localhost"):  # noqa: S104
        raise DiscoveryRefusedError(
            f"--discovery needs the address of one interface (--bind), not {address}"
        )


def responder_for(device: VirtualDevice, xaddr: str, interface: str) -> DiscoveryResponder:
    """A multicast responder announcing `device` at `xaddr`, joined on `interface`."""
    check_discovery_address(interface)
    endpoint = Endpoint(
        address=device.endpoint_reference,
        types=(NETWORK_VIDEO_TRANSMITTER, DEVICE),
        scopes=tuple(device.scopes()),
        xaddrs=(xaddr,),
    )
    return DiscoveryResponder(endpoint, host=ANY_ADDRESS, multicast=True, interface=interface)
