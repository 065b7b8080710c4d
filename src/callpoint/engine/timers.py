"""The engine's own clock work: escalations, return-to-home, record stop, archive."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class TimerKind(StrEnum):
    ESCALATE = "escalate"
    HOME = "home"
    RECORD_STOP = "record_stop"
    ARCHIVE = "archive"


@dataclass(frozen=True, slots=True, order=True)
class Timer:
    due: datetime
    seq: int
    kind: TimerKind = field(compare=False)
    incident_id: str = field(compare=False)
    target: str = field(compare=False, default="")
    generation: int = field(compare=False, default=0)


class TimerQueue:
    """A heap of timers in due order; ties broken by insertion order (deterministic)."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def add(
        self,
        due: datetime,
        kind: TimerKind,
        incident_id: str,
        target: str = "",
        generation: int = 0,
    ) -> None:
        self._seq += 1
        heapq.heappush(self._heap, Timer(due, self._seq, kind, incident_id, target, generation))

    def pop_due(self, now: datetime) -> list[Timer]:
        """Remove and return every timer due at or before `now`, earliest first."""
        out: list[Timer] = []
        while self._heap and self._heap[0].due <= now:
            out.append(heapq.heappop(self._heap))
        return out

    def next_due(self) -> datetime | None:
        return self._heap[0].due if self._heap else None
