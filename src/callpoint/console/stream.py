"""The live stream: every change is numbered, kept in a ring, and fanned out to clients.

A client that reconnects with `Last-Event-ID` gets every message it missed while the ring
still holds it; if it fell too far behind it is told to reload (`reset`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from callpoint.jsonfast import dumps_bytes

log = logging.getLogger(__name__)

RING_SIZE = 20_000  # about 10 s of a 2,000 events/s burst, several actions each
CLIENT_QUEUE = 2_000  # a client this far behind is cut off rather than slowing others
MAX_CLIENTS = 256


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One numbered message: `kind` is incident, action, event, outcome or reset.

    `frame` is the server-sent-events framing, encoded once however many clients get it.
    """

    seq: int
    kind: str
    frame: bytes
    console: str | None = None  # set on messages meant for one console's screen

    @classmethod
    def make(
        cls, seq: int, kind: str, data: dict[str, object], console: str | None = None
    ) -> StreamMessage:
        head = f"id: {seq}\nevent: {kind}\ndata: ".encode()
        return cls(seq, kind, head + dumps_bytes(data) + b"\n\n", console)

    def sse(self) -> bytes:
        return self.frame


class TooManyClientsError(Exception):
    """The hub refuses more than MAX_CLIENTS subscribers."""


class Subscription:
    """One connected client's backlog. Closed (None queued) if it falls too far behind.

    A deque and an event rather than an asyncio.Queue: every message is offered to every
    client, and the queue's bookkeeping was a measurable share of each event's cost.
    """

    def __init__(self, console: str | None) -> None:
        self.console = console
        self._items: deque[StreamMessage | None] = deque()
        self._ready = asyncio.Event()
        self.dropped = False

    def wants(self, msg: StreamMessage) -> bool:
        return msg.console is None or self.console is None or msg.console == self.console

    def offer(self, msg: StreamMessage) -> None:
        if self.dropped or not self.wants(msg):
            return
        if len(self._items) >= CLIENT_QUEUE:
            # Too far behind: end its stream; it reconnects and resumes by id.
            self.dropped = True
            self._items.clear()
            self._items.append(None)
        else:
            self._items.append(msg)
        self._ready.set()

    def close(self) -> None:
        """End this client's stream after what it already has queued."""
        self.dropped = True
        self._items.append(None)
        self._ready.set()

    async def next_batch(self) -> list[StreamMessage | None]:
        """Everything queued, waiting for something if nothing is (bound it by the caller)."""
        if not self._items:
            self._ready.clear()
            await self._ready.wait()
        batch = list(self._items)
        self._items.clear()
        return batch

    def pending(self) -> list[StreamMessage | None]:
        """What is queued, without waiting (tests, diagnostics)."""
        batch = list(self._items)
        self._items.clear()
        return batch


class StreamHub:
    """Numbers, remembers and fans out messages to subscriptions."""

    def __init__(self, ring_size: int = RING_SIZE) -> None:
        self._ring: deque[StreamMessage] = deque(maxlen=ring_size)
        self._seq = 0
        self._subs: set[Subscription] = set()

    @property
    def last_seq(self) -> int:
        return self._seq

    def screens(self, console: str) -> int:
        """How many clients are connected as `console` (monitors of everything don't count)."""
        return sum(1 for s in self._subs if s.console == console and not s.dropped)

    def consoles_connected(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self._subs:
            key = s.console or "*"
            out[key] = out.get(key, 0) + 1
        return out

    def publish(self, kind: str, data: dict[str, object], console: str | None = None) -> int:
        self._seq += 1
        msg = StreamMessage.make(self._seq, kind, data, console)
        self._ring.append(msg)
        for sub in self._subs:
            sub.offer(msg)
        return self._seq

    def subscribe(self, console: str | None, last_seen: int | None) -> Subscription:
        """A new subscription, pre-loaded with what it missed since `last_seen`."""
        if len(self._subs) >= MAX_CLIENTS:
            raise TooManyClientsError
        sub = Subscription(console)
        if last_seen is not None and last_seen < self._seq:
            oldest = self._ring[0].seq if self._ring else self._seq + 1
            if last_seen + 1 < oldest:
                sub.offer(StreamMessage.make(self._seq, "reset", {"reason": "too far behind"}))
            else:
                for msg in self._since(last_seen):
                    sub.offer(msg)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def close_all(self) -> None:
        """End every stream (server stopping); browsers reconnect and resume by id."""
        for sub in self._subs:
            sub.close()

    def _since(self, last_seen: int) -> Iterator[StreamMessage]:
        for msg in self._ring:
            if msg.seq > last_seen:
                yield msg
