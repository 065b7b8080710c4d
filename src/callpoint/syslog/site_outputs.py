"""The site's syslog receivers, built from `outputs.syslog` and fed every change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from callpoint.codecs.syslog import Facility
from callpoint.component import Health, SiteReload
from callpoint.config.models import OutputsConfig
from callpoint.config.models import SyslogOutput as SyslogConfig
from callpoint.engine import Decision
from callpoint.model import Action, ActionOutcome
from callpoint.syslog.output import Sender, SyslogOutput
from callpoint.syslog.records import Origin
from callpoint.syslog.sender import TcpSyslogSender, UdpSyslogSender


class SiteSyslog:
    """One SyslogOutput per configured receiver (each may have its own facility)."""

    def __init__(self, configs: Sequence[SyslogConfig]) -> None:
        self.outputs: list[SyslogOutput] = []
        for cfg in configs:
            sender: Sender = (
                TcpSyslogSender(cfg.host, cfg.port)
                if cfg.transport == "tcp"
                else UdpSyslogSender(cfg.host, cfg.port)
            )
            self.outputs.append(SyslogOutput([sender], Origin(facility=Facility(cfg.facility))))

    async def start(self) -> None:
        for out in self.outputs:
            await out.start()

    async def close(self) -> None:
        for out in self.outputs:
            await out.close()

    @property
    def dropped(self) -> int:
        return sum(o.dropped for o in self.outputs)

    def decision(self, decision: Decision) -> None:
        """An engine decision was committed: its event and every incident change."""
        if not self.outputs:
            return
        device_time = decision.event.device_time if decision.event is not None else None
        for out in self.outputs:
            if decision.event is not None:
                out.event(decision.event)
            for inc in decision.incidents:
                change = inc.timeline[-1].kind if inc.timeline else ""
                out.incident(inc, change=change, device_time=device_time)

    def outcome(self, action: Action, outcome: ActionOutcome) -> None:
        for out in self.outputs:
            out.action_outcome(action, outcome)


class SyslogListener:
    """The site's syslog receivers as a server listener: rebuilt when `outputs` changes."""

    def __init__(self, outputs: OutputsConfig) -> None:
        self.config = outputs
        self.syslog = SiteSyslog(outputs.syslog)

    async def start(self) -> None:
        await self.syslog.start()

    async def reload(self, change: SiteReload) -> None:
        outputs = change.site.config.outputs
        if outputs == self.config:
            return
        old, self.syslog = self.syslog, SiteSyslog(outputs.syslog)
        await self.syslog.start()
        await old.close()
        self.config = outputs

    def health(self) -> Health:
        return {"syslog_dropped": self.syslog.dropped}

    async def stop(self) -> None:
        await self.syslog.close()

    def on_decision(self, decision: Decision) -> None:
        self.syslog.decision(decision)

    def on_outcome(self, action: Action, outcome: ActionOutcome) -> None:
        self.syslog.outcome(action, outcome)


if TYPE_CHECKING:  # mypy proves the syslog listener satisfies the Listener protocol
    from callpoint.component import Listener

    def _is_a_listener(s: SyslogListener) -> Listener:
        return s
