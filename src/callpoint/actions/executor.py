"""The contract between the outbox and whatever carries an action out."""

from __future__ import annotations

from typing import Protocol

from callpoint.model import Action, ActionKind, ActionOutcome


class Executor(Protocol):
    """Carries out actions of some kinds, one attempt per call.

    `execute` must not raise for an expected failure (target down, refused): it returns
    an outcome with `ok=False` and says with `retry` whether trying again could help.
    It should bound its own time; the outbox also cuts an attempt off after a timeout.
    """

    @property
    def kinds(self) -> frozenset[ActionKind]:
        """The action kinds this executor handles."""

    async def execute(self, action: Action) -> ActionOutcome:
        """Make one attempt at `action` and report what happened."""
