"""Hear devices come and go: Hello and Bye announcements.

`AnnouncementTracker` (pure) drops repeats and stale announcements using wsd:AppSequence;
`HelloByeListener` is the asyncio transport and yields `Announcement`s.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from callpoint.codecs.wsdiscovery import messages as m
from callpoint.codecs.wsdiscovery.decode import decode
from callpoint.onvif.discovery.dedup import MessageIdFilter
from callpoint.onvif.discovery.udp import Address, DatagramQueue, open_endpoint
from callpoint.onvif.errors import RemoteProtocolError

log = logging.getLogger(__name__)

# Endpoints whose last AppSequence is remembered; the oldest is forgotten first.
MAX_TRACKED_ENDPOINTS = 4096


class ListenerClosedError(RuntimeError):
    """The listener was stopped while someone waited for an announcement."""


# Put in the queue by `stop` to wake a waiting `next`.
_CLOSED: tuple[bytes, Address] = (b"", ("", 0))


@dataclass(frozen=True, slots=True)
class Announcement:
    """A Hello (`joined` True) or Bye (`joined` False) from `source`."""

    joined: bool
    endpoint: m.Endpoint
    source: Address
    app_sequence: m.AppSequence | None


class AnnouncementTracker:
    """Turns datagrams into announcements, without repeats or out-of-order ones."""

    def __init__(self) -> None:
        self._duplicates = MessageIdFilter()
        self._last: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self.malformed = 0

    def feed(self, data: bytes, source: Address) -> Announcement | None:
        """One datagram in; an announcement out, or None for anything else."""
        try:
            message = decode(data)
        except RemoteProtocolError as exc:
            if self.malformed == 0:
                log.info("discovery: malformed datagram from %s: %s (logged once)", source, exc)
            self.malformed += 1
            return None
        if not isinstance(message, m.Hello | m.Bye):
            return None
        if self._duplicates.is_duplicate(message.message_id):
            return None
        sequence = message.app_sequence
        if sequence is not None:
            key = message.endpoint.address
            order = (sequence.instance_id, sequence.message_number)
            last = self._last.get(key)
            if last is not None and order <= last:
                return None  # older than what we already know (section 7)
            self._last[key] = order
            self._last.move_to_end(key)
            if len(self._last) > MAX_TRACKED_ENDPOINTS:
                self._last.popitem(last=False)
        return Announcement(isinstance(message, m.Hello), message.endpoint, source, sequence)


class HelloByeListener:
    """Listens on `host`:`port`; joins the multicast group only if `multicast`.

    ``async with HelloByeListener(...) as listener: async for a in listener: ...``
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = m.DISCOVERY_PORT,
        multicast: bool = False,
        interface: str | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._multicast, self._interface = multicast, interface
        self._endpoint: DatagramQueue | None = None
        self.tracker = AnnouncementTracker()

    @property
    def address(self) -> Address:
        """The bound address (after `start`)."""
        if self._endpoint is None:
            raise RuntimeError("listener not started")
        return self._endpoint.bound_address("listener")

    async def start(self) -> None:
        """Bind the socket."""
        self._endpoint = await open_endpoint(
            self._host, self._port, multicast=self._multicast, interface=self._interface
        )

    async def stop(self) -> None:
        """Close the socket and wake any waiter. Safe to call twice."""
        endpoint, self._endpoint = self._endpoint, None
        if endpoint is None:
            return
        if endpoint.transport is not None:
            endpoint.transport.close()
        while not endpoint.queue.empty():  # make room for the wake-up
            endpoint.queue.get_nowait()
        endpoint.queue.put_nowait(_CLOSED)

    async def next(self) -> Announcement:
        """Wait for the next announcement; `ListenerClosedError` once stopped."""
        if self._endpoint is None:
            raise ListenerClosedError("listener not running")
        queue = self._endpoint.queue
        while True:
            item = await queue.get()
            if item is _CLOSED:
                queue.put_nowait(_CLOSED)  # pass the wake-up on to the next waiter
                raise ListenerClosedError("listener stopped")
            data, source = item
            announcement = self.tracker.feed(data, source)
            if announcement is not None:
                return announcement

    def __aiter__(self) -> Self:
        # An iterator, not an async generator: a consumer that breaks out of `async for`
        # leaves no generator behind for the loop to finalise in a task of its own.
        return self

    async def __anext__(self) -> Announcement:
        try:
            return await self.next()
        except ListenerClosedError:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.stop()
