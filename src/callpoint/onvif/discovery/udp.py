"""The UDP plumbing shared by prober, responder and listener (the thin asyncio layer).

Multicast is only ever touched when a caller asks for it: sockets bind where they are told,
join 239.255.255.250 only with ``multicast=True``, and keep multicast to one hop (TTL 1),
as SOAP-over-UDP advises for a link-local protocol.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import socket
import struct
from typing import cast

from callpoint.codecs.wsdiscovery.messages import MULTICAST_ADDRESS

log = logging.getLogger(__name__)

Address = tuple[str, int]
# Datagrams waiting to be handled; a flood beyond this is dropped and counted.
MAX_QUEUED_DATAGRAMS = 256
# SOAP-over-UDP section 3.4: send a multicast or unicast message twice, the repeat after a
# random 50-250 ms, so that one lost datagram does not lose the exchange.
UDP_REPEAT = 1
UDP_MIN_DELAY_S = 0.050
UDP_MAX_DELAY_S = 0.250
MULTICAST_TTL = 1
# Linux ioctl: the IPv4 address of an interface (include/uapi/linux/sockios.h).
_SIOCGIFADDR = 0x8915


class DatagramQueue(asyncio.DatagramProtocol):
    """Received datagrams into a bounded queue; errors are logged, never raised."""

    def __init__(self, queue: asyncio.Queue[tuple[bytes, Address]] | None = None) -> None:
        """`queue` may be shared by several sockets (one per interface)."""
        self.queue = queue if queue is not None else asyncio.Queue(MAX_QUEUED_DATAGRAMS)
        self.dropped = 0
        self.errors = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport, but
        # create_datagram_endpoint only ever hands one of these.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def bound_address(self, what: str) -> Address:
        """The local (host, port) the socket is bound to; `what` names the owner in errors."""
        if self.transport is None:
            raise RuntimeError(f"{what} not started")
        host, port = self.transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            self.queue.put_nowait((data, (str(addr[0]), int(addr[1]))))
        except asyncio.QueueFull:
            if self.dropped == 0:
                log.warning("discovery: datagram queue full; dropping (logged once)")
            self.dropped += 1

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable after a unicast probe to a closed port is routine; an
        # unreachable network (no multicast route) is worth one line in the log.
        if isinstance(exc, ConnectionRefusedError):
            log.debug("discovery: %s", exc)
            return
        if self.errors == 0:
            log.warning("discovery: socket error %s (logged once per socket)", exc)
        self.errors += 1

    def send(self, data: bytes, addr: Address) -> None:
        """Send one datagram; a closed transport drops it silently."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)


def make_socket(host: str, port: int, *, multicast: bool, interface: str | None) -> socket.socket:
    """A bound, non-blocking IPv4 UDP socket; joins the discovery group if `multicast`.

    `interface` is the IPv4 address of the interface to use for multicast (sending and
    membership); None lets the kernel choose by its routes.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        if multicast:
            any_interface = struct.pack("!I", socket.INADDR_ANY)
            local = socket.inet_aton(interface) if interface else any_interface
            group = socket.inet_aton(MULTICAST_ADDRESS)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, MULTICAST_TTL)
            if interface is not None:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, local)
            if port != 0:  # only a socket on the discovery port listens to the group
                membership = struct.pack("4s4s", group, local)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def open_endpoint(
    host: str,
    port: int,
    *,
    multicast: bool = False,
    interface: str | None = None,
    queue: asyncio.Queue[tuple[bytes, Address]] | None = None,
) -> DatagramQueue:
    """Bind a UDP socket and wrap it in a `DatagramQueue` (feeding `queue` if given)."""
    sock = make_socket(host, port, multicast=multicast, interface=interface)
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(lambda: DatagramQueue(queue), sock=sock)
    return protocol


def ipv4_interfaces() -> list[tuple[str, str]]:
    """(name, IPv4 address) of every interface that has one, loopback excluded (Linux).

    For probing every camera network a multi-homed server sits on.
    """
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, request)
            except OSError:  # no IPv4 address on this interface
                continue
            address = socket.inet_ntoa(reply[20:24])
            if not address.startswith("127."):
                found.append((name, address))
    return found
