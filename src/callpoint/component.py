"""What every long-lived part of a server is to `Server`: started, reloaded, asked, stopped.

`Server` keeps three lists of components: ingress adapters (protocols in), executors
(actions out, see actions/executor.py) and listeners (told of every committed decision and
action outcome: the console feed, syslog, the ONVIF bridge). It starts them in list order,
reloads them in list order and stops them in reverse, so the order a component is listed
in is the only wiring it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from callpoint.config.site import Site
    from callpoint.engine import Decision
    from callpoint.model import Action, ActionOutcome

Health = Mapping[str, object]
"""A component's entries in `GET /healthz` (JSON values), merged into the one body."""


@dataclass(frozen=True, slots=True)
class SiteReload:
    """A validated configuration now in force: the site, its generation, who asked."""

    site: Site
    generation: int
    actor: str


class Component(Protocol):
    """Start, reload, report, stop: the life cycle `Server` drives for each part."""

    async def start(self) -> None:
        """Begin work; called once, after every component listed before it has started."""

    async def reload(self, change: SiteReload) -> None:
        """Take a new site; called only with a configuration that validated in full."""

    def health(self) -> Health:
        """This component's entries for `/healthz`; cheap, no I/O."""

    async def stop(self) -> None:
        """Stop all work and release what `start` took; the component is not restarted."""


class Listener(Component, Protocol):
    """Told of what the runtime committed, after it is durable. Must not block or raise."""

    def on_decision(self, decision: Decision) -> None:
        """A decision (event, incident changes, planned actions) has been committed."""

    def on_outcome(self, action: Action, outcome: ActionOutcome) -> None:
        """An attempt at an action has finished and its outcome is recorded."""
