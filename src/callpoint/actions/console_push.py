"""Screen actions (pop-up, show, escalate) delivered to operator consoles over the stream.

A screen instruction counts as delivered only when at least one browser is connected as
that console; otherwise the outbox retries it and, in the end, records it failed, so a
dark control-room screen is visible in the API instead of passing silently.

Instructions are queued on the stream as items of a `screen` message addressed to that
console alone: those for one console in one loop turn (a show and a pop-up from the same
event, pop-ups of one group commit) travel as one message, which no other console gets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callpoint.console.live import screen_live
from callpoint.console.stream import StreamHub
from callpoint.model import Action, ActionKind, ActionOutcome

SCREEN_KINDS = frozenset({ActionKind.POPUP, ActionKind.SHOW, ActionKind.ESCALATE})


class ConsolePushExecutor:
    """Publishes screen actions to the console named in `target`."""

    def __init__(self, hub: StreamHub) -> None:
        self._hub = hub

    @property
    def kinds(self) -> frozenset[ActionKind]:
        return SCREEN_KINDS

    async def execute(self, action: Action) -> ActionOutcome:
        return self.try_now(action)

    def try_now(self, action: Action) -> ActionOutcome:
        """Publishing never waits: every attempt is finished here."""
        screens = self._hub.screens(action.target)
        if screens == 0:
            return ActionOutcome(
                ok=False, detail=f"no {action.target} console connected", retry=True
            )
        self._hub.queue("screen", "actions", screen_live(action), console=action.target)
        return ActionOutcome(ok=True, detail=f"shown on {screens} {action.target} screen(s)")

    async def close(self) -> None:
        """Nothing to release: the stream hub belongs to the runtime, which closes it."""


if TYPE_CHECKING:  # mypy proves the executor satisfies the Executor protocol
    from callpoint.actions.executor import InstantExecutor

    def _is_an_executor(e: ConsolePushExecutor) -> InstantExecutor:
        return e
