"""ConnectionBook: caps per peer and in total; the longest-idle connection shed first."""

from __future__ import annotations

import pytest

from callpoint.httpguard.book import ConnectionBook

pytestmark = pytest.mark.asyncio


class Conn:
    def __init__(self, peer: str, idle_since: float | None) -> None:
        self.peer = peer
        self.since = idle_since
        self.closed = False

    def idle_since(self) -> float | None:
        return self.since

    def check_time(self, now: float) -> None:
        """Timed by the tests themselves."""

    def shed(self) -> None:
        self.closed = True


async def test_at_the_total_cap_the_longest_idle_is_shed_and_busy_ones_are_kept() -> None:
    book = ConnectionBook(max_connections=16, max_per_peer=100)
    conns = [Conn(f"10.0.0.{n}", None if n % 2 else float(100 - n)) for n in range(16)]
    assert all(book.admit(c) for c in conns)
    newcomer = Conn("10.0.1.1", None)
    assert book.admit(newcomer)
    assert [c.peer for c in conns if c.closed] == ["10.0.0.14"]  # idle since 86: longest
    assert len(book) == 16 and book.counts["shed"] == 1
    await book.close()


async def test_with_nothing_idle_a_new_connection_is_refused() -> None:
    book = ConnectionBook(max_connections=16, max_per_peer=3)
    busy = [Conn("10.0.0.1", None) for _ in range(3)]
    assert all(book.admit(c) for c in busy)
    assert not book.admit(Conn("10.0.0.1", None))  # the peer's cap
    assert book.admit(Conn("10.0.0.2", None))  # another peer still gets in
    book.leave(busy[0])
    book.leave(busy[0])  # idempotent
    assert book.admit(Conn("10.0.0.1", None))
    assert book.health()["refused"] == 1 and book.per_peer["10.0.0.1"] == 3
    await book.close()
