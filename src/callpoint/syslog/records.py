"""What callpoint says over syslog: one message per event, incident change, action outcome.

Every message carries the server time and, where there is one, the device's own time as
SD-PARAMs of `callpoint@PEN`, so a SIEM can see clock drift and order events the way the
server saw them. The HEADER TIMESTAMP is the server time.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from callpoint.codecs.syslog import (
    MAX_HOSTNAME,
    Facility,
    SDElement,
    Severity,
    SyslogMessage,
    format_timestamp,
    printable,
    sd_name,
)
from callpoint.model import Action, ActionOutcome, ActionState, Event, EventType, Incident

# IANA Private Enterprise Number in our SD-IDs. 32473 is the example number reserved for
# documentation (RFC 5612) until callpoint has its own; a site may configure another.
DEFAULT_PEN: Final = 32473
APP_NAME: Final = "callpoint"
# Attributes are cut so that a message fits the 2048 octets every UDP receiver should
# take (RFC 5426 section 3.2): at most this many, each value this long, this much in all.
MAX_ATTRIBUTE_PARAMS: Final = 32
MAX_ATTRIBUTE_VALUE_CHARS: Final = 200
MAX_ATTRIBUTE_OCTETS: Final = 1024


@dataclass(frozen=True, slots=True)
class Origin:
    """Header fields that are the same for every message this process sends."""

    hostname: str | None = field(
        default_factory=lambda: printable(socket.gethostname(), MAX_HOSTNAME)
    )
    procid: str | None = field(default_factory=lambda: str(os.getpid()))
    facility: Facility = Facility.LOCAL0
    pen: int = DEFAULT_PEN

    @property
    def sd_id(self) -> str:
        return f"callpoint@{self.pen}"


def severity_for_priority(priority: int) -> Severity:
    """Rule priority (0-100) to syslog severity: emergencies are critical."""
    if priority >= 90:
        return Severity.CRITICAL
    if priority >= 50:
        return Severity.WARNING
    if priority >= 10:
        return Severity.NOTICE
    return Severity.INFORMATIONAL


def _message(
    origin: Origin,
    severity: Severity,
    server_time: datetime,
    msgid: str,
    elements: tuple[SDElement, ...],
    text: str,
) -> SyslogMessage:
    return SyslogMessage(
        facility=origin.facility,
        severity=severity,
        timestamp=server_time,
        hostname=origin.hostname,
        app_name=APP_NAME,
        procid=origin.procid,
        msgid=msgid,
        structured_data=elements,
        msg=text,
    )


def _attribute_params(event: Event) -> tuple[tuple[str, str], ...]:
    params: list[tuple[str, str]] = []
    size = 0
    for key, value in sorted(event.attributes.items())[:MAX_ATTRIBUTE_PARAMS]:
        name, text = sd_name(key), str(value)[:MAX_ATTRIBUTE_VALUE_CHARS]
        size += len(name) + len(text.encode("utf-8", "replace")) + 4  # SP name="value"
        if size > MAX_ATTRIBUTE_OCTETS:
            break
        params.append((name, text))
    return tuple(params)


def event_message(event: Event, origin: Origin) -> SyslogMessage:
    """An accepted event; server time is `received_at`, device time `device_time`."""
    params = (
        ("event", event.id),
        ("device", event.device_id),
        ("location", event.location),
        ("type", event.type.value),
        ("source", event.source.value),
        ("priority", str(int(event.priority))),
        ("suppressed", "true" if event.suppressed else "false"),
        ("deviceTime", format_timestamp(event.device_time)),
        ("serverTime", format_timestamp(event.received_at)),
    )
    elements = [SDElement(origin.sd_id, params)]
    attrs = _attribute_params(event)
    if attrs:
        elements.append(SDElement(f"callpointAttr@{origin.pen}", attrs))
    severity = severity_for_priority(event.priority)
    if event.type in (EventType.FAULT, EventType.TAMPER):
        severity = min(severity, Severity.WARNING)
    text = f"{event.type.value} at {event.location} from {event.device_id}"
    if event.suppressed:
        text += " (duplicate, suppressed)"
    return _message(origin, severity, event.received_at, "EVENT", tuple(elements), text)


def incident_message(
    incident: Incident,
    origin: Origin,
    *,
    server_time: datetime,
    change: str = "",
    device_time: datetime | None = None,
) -> SyslogMessage:
    """A new state of an incident; `change` says what changed, `device_time` is the
    device's stamp of the event that caused it, when there was one."""
    params = [
        ("incident", incident.id),
        ("location", incident.location),
        ("device", incident.device_id),
        ("trigger", incident.trigger.value),
        ("state", incident.state.value),
        ("priority", str(incident.priority)),
        ("escalation", str(incident.escalation_level)),
        ("consoles", ",".join(incident.consoles)),
        ("openedAt", format_timestamp(incident.opened_at)),
    ]
    if incident.acknowledged_by is not None:
        params.append(("ackBy", incident.acknowledged_by))
    if device_time is not None:
        params.append(("deviceTime", format_timestamp(device_time)))
    params.append(("serverTime", format_timestamp(server_time)))
    severity = severity_for_priority(incident.priority) if incident.active else Severity.NOTICE
    text = f"incident {incident.state.value} at {incident.location}"
    if change:
        text += f": {change}"
    elements = (SDElement(origin.sd_id, tuple(params)),)
    return _message(origin, severity, server_time, "INCIDENT", elements, text)


def action_message(
    action: Action, outcome: ActionOutcome, origin: Origin, *, server_time: datetime
) -> SyslogMessage:
    """One attempt's outcome; `action` is its state after the attempt."""
    params = [
        ("action", action.id),
        ("kind", action.kind.value),
        ("target", action.target),
        ("event", action.event_id),
        ("state", action.state.value),
        ("attempts", str(action.attempts)),
        ("ok", "true" if outcome.ok else "false"),
    ]
    if action.incident_id is not None:
        params.append(("incident", action.incident_id))
    if action.state is ActionState.PLANNED and action.due_at is not None:
        params.append(("retryAt", format_timestamp(action.due_at)))
    params.append(("serverTime", format_timestamp(server_time)))
    if outcome.ok:
        severity = Severity.INFORMATIONAL
    elif action.state is ActionState.FAILED:
        severity = Severity.ERROR
    else:
        severity = Severity.WARNING
    text = f"{action.kind.value} {action.target} {action.state.value}"
    if outcome.detail:
        text += f": {outcome.detail}"
    elements = (SDElement(origin.sd_id, tuple(params)),)
    return _message(origin, severity, server_time, "ACTION", elements, text)
