"""Find devices: send a Probe by multicast and/or directed unicast, collect ProbeMatches.

`ProbeCollector` is the pure part (which datagrams answer our Probe, de-duplicated by
endpoint address); `probe` is the asyncio transport around it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from callpoint.codecs.wsdiscovery import messages as m
from callpoint.codecs.wsdiscovery.decode import decode
from callpoint.codecs.wsdiscovery.encode import encode
from callpoint.onvif.discovery.udp import (
    MAX_QUEUED_DATAGRAMS,
    UDP_MAX_DELAY_S,
    UDP_MIN_DELAY_S,
    UDP_REPEAT,
    Address,
    DatagramQueue,
    open_endpoint,
)
from callpoint.onvif.errors import RemoteProtocolError

log = logging.getLogger(__name__)

# ONVIF clients commonly wait 2-5 s: devices delay answers to a multicast Probe by up to
# 500 ms (APP_MAX_DELAY) and slow ones take longer.
DEFAULT_TIMEOUT_S = 3.0
# One Probe gets one answer per device; more than this from one subnet is a flood.
MAX_DEVICES = 1024


@dataclass(frozen=True, slots=True)
class Discovered:
    """A device that answered, where the answer came from, and what its scopes say."""

    endpoint: m.Endpoint
    source: Address

    @property
    def info(self) -> m.ScopeInfo:
        """Name, hardware, location and profiles read from the scopes."""
        return m.ScopeInfo.from_scopes(self.endpoint.scopes)


class ProbeCollector:
    """Collects the answers to one Probe; one entry per endpoint address."""

    def __init__(self, probe: m.Probe) -> None:
        self.probe = probe
        self._found: dict[str, Discovered] = {}
        self.malformed = 0

    def feed(self, data: bytes, source: Address) -> list[Discovered]:
        """Take one datagram; returns the devices it newly revealed."""
        try:
            message = decode(data)
        except RemoteProtocolError as exc:
            if self.malformed == 0:
                log.info("discovery: malformed answer from %s: %s (logged once)", source, exc)
            self.malformed += 1
            return []
        if not isinstance(message, m.ProbeMatches):
            return []
        if message.relates_to != self.probe.message_id:
            # Our socket is fresh, so whatever reaches it answers us; some devices echo a
            # wrong RelatesTo (or none). Keep the answer, note the quirk.
            log.debug("discovery: %s answered with RelatesTo %r", source, message.relates_to)
        new = []
        for endpoint in message.matches:
            known = self._found.get(endpoint.address)
            if known is None:
                if len(self._found) < MAX_DEVICES:
                    self._found[endpoint.address] = found = Discovered(endpoint, source)
                    new.append(found)
            else:
                # The same device answering on another interface: keep every address.
                extra = tuple(x for x in endpoint.xaddrs if x not in known.endpoint.xaddrs)
                if extra:
                    merged = replace(known.endpoint, xaddrs=known.endpoint.xaddrs + extra)
                    self._found[endpoint.address] = replace(known, endpoint=merged)
        return new

    @property
    def devices(self) -> list[Discovered]:
        """Every device found so far, in the order they answered."""
        return list(self._found.values())


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: assume it is elsewhere
        return False


def _default_bind(targets: Sequence[Address], multicast: bool) -> str:
    # Answers come back to the probing socket; only listen as widely as needed.
    if targets and not multicast and all(_is_loopback(h) for h, _ in targets):
        return "127.0.0.1"
    return "0.0.0.0"  # noqa: S104  (answers arrive on whichever interface the probe left by)


async def _open(
    host: str, multicast: bool, interfaces: Sequence[str]
) -> tuple[list[DatagramQueue], asyncio.Queue[tuple[bytes, Address]]]:
    # One socket per interface, all feeding one queue; the first also sends the unicasts.
    queue: asyncio.Queue[tuple[bytes, Address]] = asyncio.Queue(MAX_QUEUED_DATAGRAMS)
    sockets: list[DatagramQueue] = []
    try:
        chosen: Sequence[str | None] = interfaces or [None]
        for interface in chosen:
            sockets.append(
                await open_endpoint(host, 0, multicast=multicast, interface=interface, queue=queue)
            )
    except OSError:
        _close(sockets)
        raise
    return sockets, queue


def _close(sockets: list[DatagramQueue]) -> None:
    for endpoint in sockets:
        if endpoint.transport is not None:
            endpoint.transport.close()


def _send(
    sockets: list[DatagramQueue], data: bytes, targets: Sequence[Address], multicast: bool
) -> None:
    for target in targets:
        sockets[0].send(data, target)
    if multicast:
        for endpoint in sockets:
            endpoint.send(data, (m.MULTICAST_ADDRESS, m.DISCOVERY_PORT))


async def probe(
    *,
    targets: Sequence[Address] = (),
    multicast: bool = False,
    interfaces: Sequence[str] = (),
    types: tuple[str, ...] = (m.NETWORK_VIDEO_TRANSMITTER,),
    scopes: tuple[str, ...] = (),
    timeout_s: float = DEFAULT_TIMEOUT_S,
    bind_host: str | None = None,
) -> list[Discovered]:
    """Probe `targets` by unicast and, if `multicast`, the local segments; wait `timeout_s`.

    Multicast goes out once per address in `interfaces` (the IPv4 addresses of the
    interfaces to search, see `udp.ipv4_interfaces`), or by the kernel's route for
    239.255.255.250 when none is given. Nothing is sent by multicast unless asked.
    """
    if not targets and not multicast:
        raise ValueError("probe needs unicast targets or multicast=True")
    message = m.Probe(types=types, scopes=scopes)
    data = encode(message)
    host = bind_host or _default_bind(targets, multicast)
    sockets, queue = await _open(host, multicast, interfaces)
    collector = ProbeCollector(message)
    deadline = time.monotonic() + timeout_s
    try:
        for repeat in range(UDP_REPEAT + 1):
            if repeat:
                await asyncio.sleep(random.uniform(UDP_MIN_DELAY_S, UDP_MAX_DELAY_S))
            _send(sockets, data, targets, multicast)
        while (left := deadline - time.monotonic()) > 0:
            try:
                datagram, source = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                break
            collector.feed(datagram, source)
    finally:
        _close(sockets)
    return collector.devices


async def resolve(
    address: str,
    *,
    targets: Sequence[Address] = (),
    multicast: bool = False,
    interfaces: Sequence[str] = (),
    timeout_s: float = DEFAULT_TIMEOUT_S,
    bind_host: str | None = None,
) -> m.Endpoint | None:
    """Ask for the current XAddrs of endpoint `address` (WS-Discovery section 6).

    Returns the first matching ResolveMatch, or None if nobody answered in `timeout_s`.
    """
    if not targets and not multicast:
        raise ValueError("resolve needs unicast targets or multicast=True")
    data = encode(m.Resolve(address))
    host = bind_host or _default_bind(targets, multicast)
    sockets, queue = await _open(host, multicast, interfaces)
    deadline = time.monotonic() + timeout_s
    try:
        _send(sockets, data, targets, multicast)
        while (left := deadline - time.monotonic()) > 0:
            try:
                datagram, _ = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                break
            try:
                answer = decode(datagram)
            except RemoteProtocolError:
                continue
            if (
                isinstance(answer, m.ResolveMatches)
                and answer.match is not None
                and answer.match.address == address
            ):
                return answer.match
    finally:
        _close(sockets)
    return None
