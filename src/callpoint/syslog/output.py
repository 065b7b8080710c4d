"""The syslog output the server wires in: every event, incident change and action outcome
goes to each configured receiver, without ever waiting on the network."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from callpoint.codecs.syslog import LocalProtocolError, SyslogMessage, encode
from callpoint.model import Action, ActionOutcome, Event, Incident, utc_now
from callpoint.syslog.records import Origin, action_message, event_message, incident_message

log = logging.getLogger(__name__)


class Sender(Protocol):
    """A syslog transport (UDP or TCP sender)."""

    sent: int
    dropped: int

    async def start(self) -> None: ...

    def send(self, message: SyslogMessage | bytes) -> None: ...

    async def close(self) -> None: ...


class SyslogOutput:
    """Renders callpoint's records once and hands the bytes to every sender."""

    def __init__(
        self,
        senders: Sequence[Sender],
        origin: Origin | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.senders = tuple(senders)
        self.origin = origin or Origin()
        self._clock = clock

    async def start(self) -> None:
        for sender in self.senders:
            await sender.start()

    async def close(self) -> None:
        for sender in self.senders:
            await sender.close()

    @property
    def dropped(self) -> int:
        """Messages lost across all senders (buffer overflow, socket closed)."""
        return sum(s.dropped for s in self.senders)

    def _emit(self, message: SyslogMessage) -> None:
        try:
            data = encode(message)
        except LocalProtocolError:  # a bug in a record builder; log it, never raise
            log.exception("syslog: could not encode %s message", message.msgid)
            return
        for sender in self.senders:
            sender.send(data)

    def event(self, event: Event) -> None:
        """An event was accepted (stored)."""
        self._emit(event_message(event, self.origin))

    def incident(
        self, incident: Incident, *, change: str = "", device_time: datetime | None = None
    ) -> None:
        """An incident changed; `change` says how."""
        self._emit(
            incident_message(
                incident,
                self.origin,
                server_time=self._clock(),
                change=change,
                device_time=device_time,
            )
        )

    def action_outcome(self, action: Action, outcome: ActionOutcome) -> None:
        """An action attempt finished; fits `OutboxRunner(listener=...)`."""
        self._emit(action_message(action, outcome, self.origin, server_time=self._clock()))
