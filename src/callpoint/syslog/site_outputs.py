"""The site's syslog receivers, built from `outputs.syslog` and fed every change."""

from __future__ import annotations

from collections.abc import Sequence

from callpoint.codecs.syslog import Facility
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
