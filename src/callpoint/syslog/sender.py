"""Sending syslog messages over UDP (RFC 5426) and TCP (RFC 6587 octet counting).

`send` never blocks and never raises for a network problem: the log must not slow or
break the alarm path. UDP is fire-and-forget. TCP keeps a bounded buffer while the
receiver is away, reconnects with backoff, and counts (and logs) what it had to drop.
As with any syslog over TCP, a message the kernel accepted just before the receiver
vanished can be lost: there are no application acknowledgements (RELP would add them).
TLS (RFC 5425) is available for confidentiality and receiver authentication.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections import deque
from typing import Any, Final, Literal

from callpoint.codecs.syslog import SyslogMessage, octet_counted

log = logging.getLogger(__name__)

# RFC 5426 section 3.2: receivers SHOULD take 2048 octets; longer datagrams are cut here
# so that no receiver silently discards them.
MAX_UDP_OCTETS: Final = 2048
DEFAULT_TCP_BUFFER: Final = 10_000  # messages held while the receiver is unreachable
MIN_BACKOFF_S: Final = 0.1
MAX_BACKOFF_S: Final = 30.0
CONNECT_TIMEOUT_S: Final = 5.0
MAX_WRITE_BATCH: Final = 500  # messages per write while catching up


def _as_bytes(message: SyslogMessage | bytes) -> bytes:
    return message if isinstance(message, bytes) else bytes(message)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpSyslogSender) -> None:
        self._owner = owner

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: the receiver is down; nothing to resend.
        self._owner.errors += 1
        if self._owner.errors == 1:
            log.warning("syslog UDP %s: %s", self._owner.address, exc)


class UdpSyslogSender:
    """A UDP socket connected to one receiver: one message, one datagram."""

    def __init__(self, host: str, port: int, *, max_octets: int = MAX_UDP_OCTETS) -> None:
        self.address = (host, port)
        self._max = max_octets
        self._transport: asyncio.DatagramTransport | None = None
        self._retry: asyncio.Task[None] | None = None
        self.sent = 0
        self.truncated = 0
        self.dropped = 0
        self.errors = 0

    async def start(self) -> None:
        """Open the socket; if that fails (name not resolvable, no route), keep trying in
        the background: a missing log receiver must not keep callpoint from starting."""
        if not await self._open():
            self._retry = asyncio.create_task(self._reopen(), name=f"syslog-udp-{self.address}")

    async def _open(self) -> bool:
        loop = asyncio.get_running_loop()
        try:
            self._transport, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self), remote_addr=self.address
            )
        except OSError as exc:
            self.errors += 1
            if self.errors == 1:
                log.warning("syslog UDP %s: cannot open: %s; retrying", self.address, exc)
            return False
        return True

    async def _reopen(self) -> None:
        backoff = MIN_BACKOFF_S
        while not await self._open():
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    def send(self, message: SyslogMessage | bytes) -> None:
        """Send one message as one datagram (cut to the size limit)."""
        data = _as_bytes(message)
        if len(data) > self._max:
            data = data[: self._max]
            self.truncated += 1
        if self._transport is None or self._transport.is_closing():
            self.dropped += 1
            return
        self._transport.sendto(data)
        self.sent += 1

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
            self._retry = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None


class TcpSyslogSender:
    """A TCP sender with a bounded buffer, reconnecting with exponential backoff.

    With `tls`, the same framing runs over TLS (RFC 5425, port 6514 by convention); the
    context decides the verification (CA, client certificate).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        buffer_max: int = DEFAULT_TCP_BUFFER,
        min_backoff: float = MIN_BACKOFF_S,
        max_backoff: float = MAX_BACKOFF_S,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.address = (host, port)
        self._tls = tls
        self._buffer: deque[bytes] = deque()
        self._buffer_max = buffer_max
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._ready = asyncio.Event()
        self._drained = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._dropped_in_outage = 0
        self.connected = False
        self.sent = 0
        self.dropped = 0
        self.connects = 0

    @property
    def pending(self) -> int:
        """Messages waiting for the connection."""
        return len(self._buffer)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"syslog-tcp-{self.address}")

    def send(self, message: SyslogMessage | bytes) -> None:
        """Queue one message; when the buffer is full the oldest is dropped and counted."""
        if len(self._buffer) >= self._buffer_max:
            self._buffer.popleft()
            self.dropped += 1
            self._dropped_in_outage += 1
            if self._dropped_in_outage == 1:
                log.warning("syslog TCP %s: buffer full, dropping oldest messages", self.address)
        self._buffer.append(octet_counted(_as_bytes(message)))
        self._drained.clear()
        self._ready.set()

    async def close(self, flush_timeout: float = 2.0) -> None:
        """Try to deliver what is buffered for `flush_timeout` seconds, then stop."""
        if self._task is None:
            return
        if self._buffer and self.connected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), flush_timeout)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._buffer:
            self.dropped += len(self._buffer)
            log.warning(
                "syslog TCP %s: %d messages undelivered at close", self.address, len(self._buffer)
            )
            self._buffer.clear()

    async def _run(self) -> None:
        backoff = self._min_backoff
        failures = 0
        while True:
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    reader, writer = await asyncio.open_connection(*self.address, ssl=self._tls)
            except (OSError, TimeoutError) as exc:
                failures += 1
                if failures == 1:
                    log.warning("syslog TCP %s unreachable: %s; retrying", self.address, exc)
                await asyncio.sleep(backoff * (0.5 + random.random() / 2))
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff, failures = self._min_backoff, 0
            self.connected = True
            self.connects += 1
            if self._dropped_in_outage:
                log.warning(
                    "syslog TCP %s connected; %d messages were dropped while it was away",
                    self.address,
                    self._dropped_in_outage,
                )
            self._dropped_in_outage = 0
            try:
                await self._pump(reader, writer)
            except OSError as exc:
                log.warning("syslog TCP %s lost: %s", self.address, exc)
            finally:
                self.connected = False
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Write buffered messages until the receiver closes (it never sends us data)."""
        eof = asyncio.ensure_future(reader.read(1))
        ready: asyncio.Task[Literal[True]] | None = None
        try:
            while True:
                if not self._buffer:
                    self._ready.clear()
                    ready = asyncio.ensure_future(self._ready.wait())
                    done, _ = await asyncio.wait({eof, ready}, return_when=asyncio.FIRST_COMPLETED)
                    if eof in done:
                        log.warning("syslog TCP %s closed by the receiver", self.address)
                        return
                    continue
                batch = [
                    self._buffer.popleft() for _ in range(min(MAX_WRITE_BATCH, len(self._buffer)))
                ]
                try:
                    writer.write(b"".join(batch))
                    await writer.drain()
                except OSError:
                    self._buffer.extendleft(reversed(batch))  # at least once, in order
                    raise
                self.sent += len(batch)
                if not self._buffer:
                    self._drained.set()
        finally:
            # Both waiters end here, also when close() cancels us in the middle of the wait.
            waiters: list[asyncio.Future[Any]] = [eof] if ready is None else [eof, ready]
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
