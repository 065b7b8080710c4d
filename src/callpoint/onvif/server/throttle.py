"""Password guessing on served ONVIF devices: a growing delay per peer address.

Without it a client can try about a thousand passwords a second (issue 11), and the
bridge's relay releases a door. A peer's first FREE_FAILURES failures cost nothing (a VMS
trying its schemes, an installer mistyping); each further one makes that peer wait
before its next credentials are checked, doubling from FIRST_DELAY_S up to MAX_DELAY_S.
A success resets the peer. One request per peer waits its turn; others that arrive
meanwhile are refused at once without their credentials being looked at, so opening
many connections at once gains nothing.

One throttle serves every device of a host: a guess on any of them counts. The table is
bounded (MAX_PEERS); idle entries are forgotten after FORGET_S.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass

from callpoint.clock import SYSTEM_CLOCK, Clock
from callpoint.logsparse import SparseLog

log = logging.getLogger(__name__)

FREE_FAILURES = 5  # failures a peer may have before its guesses are slowed
FIRST_DELAY_S = 0.5  # the wait after failure FREE_FAILURES + 1, doubling after each more
MAX_DELAY_S = 30.0  # the longest wait: 2,880 guesses a day per address at most
MAX_PEERS = 4096  # peers remembered; beyond it the least recently seen is forgotten
FORGET_S = 3600.0  # a peer not seen for an hour starts afresh
MAX_WAITING = 1  # requests of one peer that may wait their turn at once; more are refused


@dataclass(slots=True)
class _Peer:
    failures: int = 0
    next_check: float = 0.0  # monotonic time before which its credentials are not checked
    seen: float = 0.0
    waiting: int = 0  # its requests sleeping in admit()


def delay_after(failures: int) -> float:
    """Seconds a peer waits after `failures` failures in a row."""
    over = failures - FREE_FAILURES
    if over <= 0:
        return 0.0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2.0 ** min(over - 1, 32))


class AuthThrottle:
    """Failed logins per peer address, and how long each peer must wait."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK, *, max_peers: int = MAX_PEERS) -> None:
        self._clock = clock
        self._max_peers = max_peers
        self._peers: OrderedDict[str, _Peer] = OrderedDict()
        self._log = SparseLog(log, logging.WARNING)
        self.failures = 0  # every failed login since start
        self.refused = 0  # requests refused unchecked: their peer's queue was full
        self.delayed = 0  # requests made to wait

    async def admit(self, peer: str) -> bool:
        """Wait this peer's turn; False: refuse it without checking its credentials."""
        entry = self._peers.get(peer)
        if entry is None or entry.failures <= FREE_FAILURES:
            return True  # the common case: one dictionary look-up, no wait
        if entry.waiting >= MAX_WAITING:
            self.refused += 1
            return False
        wait = entry.next_check - self._clock.monotonic()
        if wait > 0:
            self.delayed += 1
            entry.waiting += 1
            try:
                await self._clock.sleep(wait)
            finally:
                entry.waiting -= 1
        return True  # checked at once, without awaiting: its outcome sets the next turn

    def failed(self, peer: str, device_id: str, reason: str) -> None:
        """Count a failed login of `peer` on `device_id`; logged at most once a minute."""
        now = self._clock.monotonic()
        entry = self._peers.get(peer)
        if entry is None:
            self._forget_old(now)
            entry = self._peers[peer] = _Peer()
        self._peers.move_to_end(peer)
        entry.failures += 1
        entry.seen = now
        entry.next_check = max(entry.next_check, now + delay_after(entry.failures))
        self.failures += 1
        self._log.report(
            "onvif-auth",
            "ONVIF auth refused on %s from %s (%d in a row from it, %d in all): %s",
            device_id,
            peer or "?",
            entry.failures,
            self.failures,
            reason,
        )

    def succeeded(self, peer: str) -> None:
        """A peer that logs in starts afresh."""
        if self._peers:
            self._peers.pop(peer, None)

    def throttled_peers(self) -> int:
        """Peers whose guesses are slowed now."""
        return sum(1 for p in self._peers.values() if p.failures > FREE_FAILURES)

    def health(self) -> dict[str, int]:
        """Counts for /healthz."""
        return {
            "onvif_auth_failures": self.failures,
            "onvif_auth_delayed": self.delayed,
            "onvif_auth_refused": self.refused,
            "onvif_auth_peers_throttled": self.throttled_peers(),
        }

    def _forget_old(self, now: float) -> None:
        while self._peers:
            oldest = next(iter(self._peers.values()))
            if len(self._peers) < self._max_peers and now - oldest.seen < FORGET_S:
                return
            self._peers.popitem(last=False)
