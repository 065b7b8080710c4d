"""The consoles' live stream as a listener: what the runtime commits, pushed to browsers.

The feed owns the `StreamHub`. Each committed decision and recorded outcome becomes one
item of the `changes` message this loop turn publishes, so a group commit's decisions
(and the outcomes recorded with them) reach each console together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callpoint.component import Health, SiteReload
from callpoint.console.live import decision_live, outcome_live
from callpoint.console.stream import StreamHub
from callpoint.engine import Decision
from callpoint.model import Action, ActionOutcome


class ConsoleFeed:
    """Decisions and outcomes to the live stream; a reload tells every console."""

    def __init__(self, hub: StreamHub | None = None) -> None:
        self.hub = hub if hub is not None else StreamHub()

    async def start(self) -> None:
        """Nothing to open: consoles subscribe over HTTP."""

    async def reload(self, change: SiteReload) -> None:
        self.hub.publish("config", {"generation": change.generation, "by": change.actor})

    def health(self) -> Health:
        return {"stream_clients": self.hub.consoles_connected()}

    async def stop(self) -> None:
        """End every open stream (they would hold the HTTP server's shutdown a minute)."""
        self.hub.close_all()

    def on_decision(self, decision: Decision) -> None:
        live = decision_live(decision)
        if live is not None:
            self.hub.queue("changes", "decisions", live)

    def on_outcome(self, action: Action, outcome: ActionOutcome) -> None:
        self.hub.queue("changes", "outcomes", outcome_live(action, outcome))


if TYPE_CHECKING:  # mypy proves the feed satisfies the Listener protocol
    from callpoint.component import Listener

    def _is_a_listener(f: ConsoleFeed) -> Listener:
        return f
