"""Be discoverable: answer Probes and Resolves, announce Hello at start and Bye at stop.

`ResponderCore` decides (pure: datagram in, replies out); `DiscoveryResponder` is the
asyncio transport. Multicast is off unless asked: by default the responder only answers
directed (unicast) Probes on the address it is bound to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Self

from callpoint.codecs.wsdiscovery import messages as m
from callpoint.codecs.wsdiscovery.decode import decode
from callpoint.codecs.wsdiscovery.encode import encode
from callpoint.onvif.discovery.dedup import MessageIdFilter
from callpoint.onvif.discovery.matching import probe_matches
from callpoint.onvif.discovery.udp import (
    UDP_MAX_DELAY_S,
    UDP_MIN_DELAY_S,
    UDP_REPEAT,
    Address,
    DatagramQueue,
    open_endpoint,
)
from callpoint.onvif.errors import RemoteProtocolError

log = logging.getLogger(__name__)

# WS-Discovery 2005/04 section 3.1.3: wait a random time up to APP_MAX_DELAY before
# answering a multicast Probe, so that a whole subnet does not answer at once.
APP_MAX_DELAY_S = 0.5
# A ProbeMatches is larger than the Probe and goes out twice: answering spoofed Probes
# without limit would make the device a traffic amplifier. Real clients probe a few times
# a minute; this many answers a second (burst included) is far above that.
MAX_ANSWERS_PER_S = 20.0


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A datagram to send, after `delay_s`."""

    data: bytes
    to: Address
    delay_s: float = 0.0


class ResponderCore:
    """The Target Service's protocol state: endpoint, AppSequence, duplicate filter."""

    def __init__(self, endpoint: m.Endpoint, *, instance_id: int | None = None) -> None:
        self.endpoint = endpoint
        # InstanceId must grow each time the service restarts (section 7): seconds suit.
        self.instance_id = instance_id if instance_id is not None else int(time.time())
        self._number = 0
        self._duplicates = MessageIdFilter()
        self.malformed = 0
        self.refused = 0  # answers withheld by the rate limit
        self._tokens = MAX_ANSWERS_PER_S
        self._refilled_at: float | None = None

    def _sequence(self) -> m.AppSequence:
        self._number += 1
        return m.AppSequence(self.instance_id, self._number)

    def hello(self) -> bytes:
        """The Hello announcing this endpoint."""
        return encode(m.Hello(self.endpoint, self._sequence()))

    def bye(self) -> bytes:
        """The Bye withdrawing it (address only, as section 4.2 allows)."""
        return encode(m.Bye(m.Endpoint(self.endpoint.address), self._sequence()))

    def update(self, endpoint: m.Endpoint) -> bytes:
        """Change what is announced; returns the Hello carrying a new MetadataVersion."""
        version = max(endpoint.metadata_version, self.endpoint.metadata_version + 1)
        self.endpoint = replace(endpoint, metadata_version=version)
        return self.hello()

    def _allow_answer(self, now: float) -> bool:
        # Token bucket: MAX_ANSWERS_PER_S a second, bursts up to the same number.
        if self._refilled_at is not None:
            elapsed = max(0.0, now - self._refilled_at)
            self._tokens = min(MAX_ANSWERS_PER_S, self._tokens + elapsed * MAX_ANSWERS_PER_S)
        self._refilled_at = now
        if self._tokens < 1:
            if self.refused == 0:
                log.warning("discovery: answer rate limit reached; refusing (logged once)")
            self.refused += 1
            return False
        self._tokens -= 1
        return True

    def handle(
        self, data: bytes, source: Address, *, max_delay_s: float = 0.0, now: float | None = None
    ) -> list[Outgoing]:
        """What to answer to one datagram (often nothing). `now`: monotonic seconds."""
        try:
            message = decode(data)
        except RemoteProtocolError as exc:
            if self.malformed == 0:
                log.info("discovery: malformed datagram from %s: %s (logged once)", source, exc)
            self.malformed += 1
            return []
        if self._duplicates.is_duplicate(message.message_id):
            return []
        reply: m.Message | None = None
        if isinstance(message, m.Probe) and probe_matches(message, self.endpoint):
            reply = m.ProbeMatches(message.message_id, (self.endpoint,), self._sequence())
        elif isinstance(message, m.Resolve) and message.address == self.endpoint.address:
            reply = m.ResolveMatches(message.message_id, self.endpoint, self._sequence())
        if reply is None or not self._allow_answer(time.monotonic() if now is None else now):
            return []
        data = encode(reply)
        first = random.uniform(0.0, max_delay_s)
        # SOAP-over-UDP: the answer goes out twice too, so one lost datagram loses nothing.
        repeats = [
            first + random.uniform(UDP_MIN_DELAY_S, UDP_MAX_DELAY_S) for _ in range(UDP_REPEAT)
        ]
        return [Outgoing(data, source, delay) for delay in (first, *repeats)]


class DiscoveryResponder:
    """Serves one endpoint on UDP. ``async with DiscoveryResponder(endpoint, port=0):``."""

    def __init__(
        self,
        endpoint: m.Endpoint,
        *,
        host: str = "127.0.0.1",
        port: int = m.DISCOVERY_PORT,
        multicast: bool = False,
        interface: str | None = None,
        announce_to: Sequence[Address] = (),
        instance_id: int | None = None,
    ) -> None:
        """`announce_to` gets Hello and Bye by unicast (the group too if `multicast`)."""
        self.core = ResponderCore(endpoint, instance_id=instance_id)
        self._host, self._port = host, port
        self._multicast, self._interface = multicast, interface
        self._announce = list(announce_to)
        if multicast:
            self._announce.append((m.MULTICAST_ADDRESS, m.DISCOVERY_PORT))
        self._endpoint: DatagramQueue | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> Address:
        """Where Probes reach this responder (after `start`)."""
        if self._endpoint is None:
            raise RuntimeError("responder not started")
        return self._endpoint.bound_address("responder")

    async def start(self) -> None:
        """Bind, send Hello, and start answering."""
        self._endpoint = await open_endpoint(
            self._host, self._port, multicast=self._multicast, interface=self._interface
        )
        self._broadcast(self.core.hello())
        self._task = asyncio.create_task(self._serve(), name="wsd-responder")

    async def stop(self) -> None:
        """Send Bye, stop answering, close the socket. Safe to call twice."""
        endpoint, self._endpoint = self._endpoint, None
        if endpoint is None:
            return
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        data = self.core.bye()
        for to in self._announce:
            endpoint.send(data, to)
        if endpoint.transport is not None:
            endpoint.transport.close()

    def update(self, endpoint: m.Endpoint) -> None:
        """Announce changed scopes or addresses with a new Hello."""
        self._broadcast(self.core.update(endpoint))

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _broadcast(self, data: bytes) -> None:
        if self._endpoint is not None:
            for to in self._announce:
                self._endpoint.send(data, to)

    async def _serve(self) -> None:
        assert self._endpoint is not None
        queue = self._endpoint.queue
        max_delay = APP_MAX_DELAY_S if self._multicast else 0.0
        while True:
            data, source = await queue.get()
            for out in self.core.handle(data, source, max_delay_s=max_delay):
                if out.delay_s <= 0:
                    self._endpoint.send(out.data, out.to)
                else:
                    task = asyncio.create_task(self._send_later(out))
                    self._pending.add(task)
                    task.add_done_callback(self._pending.discard)

    async def _send_later(self, out: Outgoing) -> None:
        await asyncio.sleep(out.delay_s)
        if self._endpoint is not None:
            self._endpoint.send(out.data, out.to)
