"""The live stream: every change is numbered, kept in a ring, and fanned out to clients.

Changes are coalesced: what is queued during one turn of the event loop (the decisions of
one group commit, the action outcomes recorded with them, the screen instructions for one
console) leaves as ONE message per audience, encoded once, on the next turn. Under load
that is a message per few dozen events rather than a dozen messages per event.

A client that reconnects with `Last-Event-ID` gets every message it missed while the ring
still holds it; if it fell too far behind it is told to reload (`reset`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from callpoint.console.live import encode
from callpoint.model import new_id

log = logging.getLogger(__name__)

RING_SIZE = 20_000  # messages; the byte bound below is usually the one that bites
RING_BYTES = 32 * 1024 * 1024  # about 10 s of a 2,000 events/s burst with its outcomes
CLIENT_QUEUE = 2_000  # messages a client may be behind before it is cut off ...
CLIENT_QUEUE_BYTES = 8 * 1024 * 1024  # ... or bytes: rather than slowing the others
MAX_CLIENTS = 256
KEEPALIVE_S = 15.0  # an idle stream gets an SSE comment, so proxies do not close it
FLUSH_INTERVAL_S = 0.01  # at most one message per kind and console per 10 ms when busy


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One numbered message: `kind` is changes, screen, config or reset (or keep-alive).

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
        return cls(seq, kind, head + encode(data) + b"\n\n", console)

    def sse(self) -> bytes:
        return self.frame


# Not numbered, not kept: a comment line, offered to clients that got nothing for a while.
KEEPALIVE = StreamMessage(0, "keep-alive", b": keep-alive\n\n")


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
        self._bytes = 0
        self._ready = asyncio.Event()
        self.dropped = False
        self.idle = False  # nothing offered since the hub's last keep-alive round

    def wants(self, msg: StreamMessage) -> bool:
        return msg.console is None or self.console is None or msg.console == self.console

    def offer(self, msg: StreamMessage) -> None:
        if self.dropped or not self.wants(msg):
            return
        self.idle = False
        self._bytes += len(msg.frame)
        if len(self._items) >= CLIENT_QUEUE or self._bytes > CLIENT_QUEUE_BYTES:
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
        """Everything queued, waiting for something if nothing is.

        The wait is bounded by the hub's keep-alive round rather than a timer per wait:
        a wait happens once per loop turn that brings messages, per client.
        """
        if not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self.pending()

    def pending(self) -> list[StreamMessage | None]:
        """What is queued, without waiting (tests, diagnostics)."""
        batch = list(self._items)
        self._items.clear()
        self._bytes = 0
        return batch


# Items queued for the next message, by (kind, console): each a mapping of field -> list.
_Pending = dict[tuple[str, str | None], dict[str, list[object]]]


class StreamHub:
    """Numbers, remembers and fans out messages to subscriptions."""

    def __init__(self, ring_size: int = RING_SIZE, ring_bytes: int = RING_BYTES) -> None:
        # Numbers start at 1 in every process: a client resuming with an id from another
        # boot must not be replayed this boot's messages after it, but reload instead.
        self.boot = new_id()[:16]
        self._ring: deque[StreamMessage] = deque()
        self._ring_size = ring_size
        self._ring_limit = ring_bytes
        self._ring_bytes = 0
        self._seq = 0
        self._subs: set[Subscription] = set()
        self._pending: _Pending = {}
        self._flush_due = False
        self._last_flush = float("-inf")  # loop time of the last flush with messages
        self._keepalive: asyncio.TimerHandle | None = None

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

    def queue(self, kind: str, field: str, item: object, console: str | None = None) -> None:
        """Add `item` to the list `field` of the `kind` message this loop turn publishes.

        Everything queued before the event loop's next turn goes out together: one
        message per (kind, console), numbered and encoded once. Outside a running loop
        (scripts, some tests) the message is published at once.
        """
        fields = self._pending.get((kind, console))
        if fields is None:
            self._pending[(kind, console)] = {field: [item]}
        elif field in fields:
            fields[field].append(item)
        else:
            fields[field] = [item]
        if not self._flush_due:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._flush_due = True
            # The next turn, unless a flush went out less than FLUSH_INTERVAL_S ago: then
            # when that much time has passed. A quiet site's pop-up leaves at once; a busy
            # one's messages gather, and each screen gets at most one write per interval
            # (the socket writes were the stream's largest cost).
            due = self._last_flush + FLUSH_INTERVAL_S
            if loop.time() >= due:
                loop.call_soon(self.flush)
            else:
                loop.call_at(due, self.flush)

    def flush(self) -> None:
        """Publish what was queued, in the order it was first queued."""
        self._flush_due = False
        if not self._pending:
            return
        with contextlib.suppress(RuntimeError):  # no loop: scripts and some tests
            self._last_flush = asyncio.get_running_loop().time()
        pending, self._pending = self._pending, {}
        for (kind, console), data in pending.items():
            self._publish(kind, cast(dict[str, object], data), console)

    def publish(self, kind: str, data: dict[str, object], console: str | None = None) -> int:
        """Publish one message now (config, rare kinds), after anything still queued."""
        if self._pending:
            self.flush()
        return self._publish(kind, data, console)

    def _publish(self, kind: str, data: dict[str, object], console: str | None) -> int:
        self._seq += 1
        msg = StreamMessage.make(self._seq, kind, data, console)
        ring = self._ring
        ring.append(msg)
        self._ring_bytes += len(msg.frame)
        while self._ring_bytes > self._ring_limit or len(ring) > self._ring_size:
            self._ring_bytes -= len(ring.popleft().frame)
        for sub in self._subs:
            sub.offer(msg)
        return self._seq

    def subscribe(self, console: str | None, last_seen: int | None) -> Subscription:
        """A new subscription, pre-loaded with what it missed since `last_seen`.

        A client that missed more than the ring still holds, or more than a client may be
        behind, is sent `reset` (reload from the API) instead: replaying more than the
        bound would only cut it off again, and it would come back with the same id.
        """
        if len(self._subs) >= MAX_CLIENTS:
            raise TooManyClientsError
        sub = Subscription(console)
        if last_seen is not None and last_seen < self._seq:
            oldest = self._ring[0].seq if self._ring else self._seq + 1
            missed = [] if last_seen + 1 < oldest else list(self._since(last_seen, sub))
            if last_seen + 1 < oldest or not self._fits(missed):
                sub.offer(StreamMessage.make(self._seq, "reset", {"reason": "too far behind"}))
            else:
                for msg in missed:
                    sub.offer(msg)
        self._subs.add(sub)
        if self._keepalive is None:
            with contextlib.suppress(RuntimeError):  # no running loop: no keep-alives
                loop = asyncio.get_running_loop()
                self._keepalive = loop.call_later(KEEPALIVE_S, self._keep_alive)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)
        if not self._subs and self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None

    def close_all(self) -> None:
        """End every stream (server stopping); browsers reconnect and resume by id."""
        self.flush()
        for sub in self._subs:
            sub.close()

    def _keep_alive(self) -> None:
        """Every KEEPALIVE_S: a comment to each client that was sent nothing meanwhile."""
        if self._keepalive is not None:
            self._keepalive.cancel()  # one round at a time, however this one was called
        for sub in self._subs:
            if sub.idle:
                sub.offer(KEEPALIVE)
            sub.idle = True
        self._keepalive = asyncio.get_running_loop().call_later(KEEPALIVE_S, self._keep_alive)

    def _since(self, last_seen: int, sub: Subscription) -> Iterator[StreamMessage]:
        for msg in self._ring:
            if msg.seq > last_seen and sub.wants(msg):
                yield msg

    @staticmethod
    def _fits(messages: list[StreamMessage]) -> bool:
        return (
            len(messages) <= CLIENT_QUEUE
            and sum(len(m.frame) for m in messages) <= CLIENT_QUEUE_BYTES
        )
