"""The contract between the outbox and whatever carries an action out."""

from __future__ import annotations

from typing import Protocol

from callpoint.model import Action, ActionKind, ActionOutcome


class Executor(Protocol):
    """Carries out actions of some kinds, one attempt per call.

    `execute` must not raise for an expected failure (target down, refused): it returns
    an outcome with `ok=False` and says with `retry` whether trying again could help.
    It should bound its own time; the outbox also cuts an attempt off after a timeout.
    `action.payload` is the typed payload of one of `kinds`; an executor handed another
    refuses it with an outcome rather than raising.
    """

    @property
    def kinds(self) -> frozenset[ActionKind]:
        """The action kinds this executor handles."""

    async def execute(self, action: Action) -> ActionOutcome:
        """Make one attempt at `action` and report what happened."""

    async def close(self) -> None:
        """Release what the executor holds (a session, connections); called once, at shutdown.

        An executor that holds nothing of its own still says so with an empty close.
        """


class InstantExecutor(Executor, Protocol):
    """An executor that can often finish an attempt without waiting for anything.

    `try_now` is called first, synchronously, in the outbox's own task: it returns the
    outcome if the attempt needed no I/O (a pop-up published, a target with no endpoint),
    or None, and then `execute` runs as usual under the attempt timeout. This spares the
    timeout's task and timer for the most frequent attempts.
    """

    def try_now(self, action: Action) -> ActionOutcome | None:
        """The outcome of an attempt that needs no waiting, or None."""
