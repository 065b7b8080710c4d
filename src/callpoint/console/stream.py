"""The live stream: every change is numbered, kept in a ring, and fanned out to clients.

A client that reconnects with `Last-Event-ID` gets every message it missed while the ring
still holds it; if it fell too far behind it is told to reload (`reset`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

RING_SIZE = 20_000  # about 10 s of a 2,000 events/s burst, several actions each
CLIENT_QUEUE = 2_000  # a client this far behind is cut off rather than slowing others
MAX_CLIENTS = 256


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One numbered message: `kind` is incident, action, event, outcome or reset."""

    seq: int
    kind: str
    data: dict[str, object]
    console: str | None = None  # set on messages meant for one console's screen

    def sse(self) -> bytes:
        """Server-sent-events framing."""
        body = json.dumps(self.data, separators=(",", ":"), default=str)
        return f"id: {self.seq}\nevent: {self.kind}\ndata: {body}\n\n".encode()


class TooManyClientsError(Exception):
    """The hub refuses more than MAX_CLIENTS subscribers."""


class Subscription:
    """One connected client's queue. Closed (None queued) if it falls too far behind."""

    def __init__(self, console: str | None) -> None:
        self.console = console
        self.queue: asyncio.Queue[StreamMessage | None] = asyncio.Queue(CLIENT_QUEUE)
        self.dropped = False

    def wants(self, msg: StreamMessage) -> bool:
        return msg.console is None or self.console is None or msg.console == self.console

    def offer(self, msg: StreamMessage) -> None:
        if self.dropped or not self.wants(msg):
            return
        try:
            self.queue.put_nowait(msg)
        except asyncio.QueueFull:
            self.dropped = True
            # Make room for the end marker: the client reconnects and resumes by id.
            self.queue.get_nowait()
            self.queue.put_nowait(None)


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
        msg = StreamMessage(self._seq, kind, data, console)
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
                sub.offer(StreamMessage(self._seq, "reset", {"reason": "too far behind"}))
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
            sub.dropped = True
            if sub.queue.full():
                sub.queue.get_nowait()
            sub.queue.put_nowait(None)

    def _since(self, last_seen: int) -> Iterator[StreamMessage]:
        for msg in self._ring:
            if msg.seq > last_seen:
                yield msg
