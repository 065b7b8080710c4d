"""Screen actions (pop-up, show, escalate) delivered to operator consoles over the stream.

A screen instruction counts as delivered only when at least one browser is connected as
that console; otherwise the outbox retries it and, in the end, records it failed, so a
dark control-room screen is visible in the API instead of passing silently.
"""

from __future__ import annotations

from callpoint.console.serialize import action_json
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
        self._hub.publish(str(action.kind), action_json(action), console=action.target)
        return ActionOutcome(ok=True, detail=f"shown on {screens} {action.target} screen(s)")
