"""The open connections of one server: counted per peer and in total, timed, shed.

Every connection is a `Member` of its server's `ConnectionBook` from its first byte to
its close, whichever protocol serves it (the device front, then aiohttp behind a
`GuardedConnection`). At a cap the oldest idle connection is closed to make room, so a
device's event post or a `/healthz` still gets in while idle sockets fill the table;
only when none is idle is the new connection refused. A flood of refusals is logged
once a minute and counted (`health`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections import Counter
from typing import Protocol

from callpoint.logsparse import SparseLog

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 10_000  # per server: what the event loop serves well, a few KiB each
MAX_PER_PEER = 512  # one address: a PBX or a NAT gateway speaks for many phones
# Descriptors kept out of the connection cap for the store, outbound calls to cameras,
# syslog, the bridge's listeners and logs: connections never take the last of them.
FD_RESERVE = 64
SWEEP_S = 1.0  # how often time limits are looked at


class Member(Protocol):
    """One open connection, as the book sees it."""

    @property
    def peer(self) -> str: ...

    def idle_since(self) -> float | None:
        """Loop time it became idle between requests; None while a request is under way."""

    def check_time(self, now: float) -> None:
        """Close the connection if a time limit has passed."""

    def shed(self) -> None:
        """Close the connection now (it is idle, and room is needed)."""


def raise_nofile_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


def connection_cap(wanted: int) -> int:
    """`wanted`, or fewer where the descriptor limit (less FD_RESERVE) is lower."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - FD_RESERVE))


class ConnectionBook:
    """Admits, times and sheds the connections of one server (see the module docstring)."""

    def __init__(self, max_connections: int = MAX_CONNECTIONS, max_per_peer: int = MAX_PER_PEER):
        self.max_connections = connection_cap(max_connections)
        self.max_per_peer = max_per_peer
        self.members: dict[Member, None] = {}  # in order of arrival
        self.per_peer: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()  # refused, shed, timed_out
        self._sparse = SparseLog(log, logging.WARNING)
        self._sweeper: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self.members)

    def admit(self, member: Member) -> bool:
        """Take `member` in, shedding an idle connection at a cap; False: refuse it."""
        peer = member.peer
        if self.per_peer[peer] >= self.max_per_peer and not self._shed_oldest_idle(peer):
            return self._refuse(peer, "per_peer", self.max_per_peer)
        if len(self.members) >= self.max_connections and not self._shed_oldest_idle(None):
            return self._refuse(peer, "total", self.max_connections)
        self.members[member] = None
        self.per_peer[peer] += 1
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return True

    def replace(self, old: Member, new: Member) -> None:
        """`new` serves the connection `old` did (a hand-over), under the same count."""
        if self.members.pop(old, 0) is None:
            self.members[new] = None

    def leave(self, member: Member) -> None:
        """`member` is closed (idempotent)."""
        if self.members.pop(member, 0) is None:
            peer = member.peer
            self.per_peer[peer] -= 1
            if self.per_peer[peer] <= 0:
                del self.per_peer[peer]

    def shed_idle(self, count: int) -> int:
        """Close up to `count` of the longest-idle connections (descriptors ran out)."""
        shed = 0
        while shed < count and self._shed_oldest_idle(None):
            shed += 1
        return shed

    def timed_out(self, peer: str, what: str, limit_s: float) -> None:
        """Note (sparsely) a connection closed at a time limit."""
        self.counts["timed_out"] += 1
        self._sparse.report(
            "timed_out", "closing a connection from %s: %s after %.0f s", peer, what, limit_s
        )

    def health(self) -> dict[str, int]:
        return {
            "open": len(self.members),
            "cap": self.max_connections,
            "refused": self.counts["refused"],
            "shed": self.counts["shed"],
            "timed_out": self.counts["timed_out"],
        }

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    def _shed_oldest_idle(self, peer: str | None) -> bool:
        oldest: Member | None = None
        oldest_at = 0.0
        for member in self.members:
            if peer is not None and member.peer != peer:
                continue
            since = member.idle_since()
            if since is not None and (oldest is None or since < oldest_at):
                oldest, oldest_at = member, since
        if oldest is None:
            return False
        self.leave(oldest)
        oldest.shed()
        self.counts["shed"] += 1
        self._sparse.report(
            "shed", "at the connection limit: closing the longest-idle connection (%s)", oldest.peer
        )
        return True

    def _refuse(self, peer: str, which: str, cap: int) -> bool:
        self.counts["refused"] += 1
        self._sparse.report(
            which, "refusing a connection from %s: %s limit of %d reached", peer, which, cap
        )
        return False

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_S)
            now = loop.time()
            for member in list(self.members):
                member.check_time(now)
