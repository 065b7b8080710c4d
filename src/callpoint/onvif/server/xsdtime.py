"""xs:duration and xs:dateTime as ONVIF requests carry them (termination times, timeouts).

Only the day-time part of xs:duration is accepted: years and months have no fixed length,
and no ONVIF client sends them for subscription times.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from callpoint.onvif.server.device_errors import InvalidValueError

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
#: Longest xs:duration accepted, so a hostile value cannot overflow datetime arithmetic.
MAX_DURATION = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """Parse an xs:duration like `PT60S` or `P1DT2H`; InvalidValueError if not one."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise InvalidValueError(f"not a day-time xs:duration: {text!r}")
    value = timedelta(
        days=int(match["days"] or 0),
        hours=int(match["hours"] or 0),
        minutes=int(match["minutes"] or 0),
        seconds=float(match["seconds"] or 0),
    )
    if value > MAX_DURATION:
        raise InvalidValueError(f"duration too long: {text!r}")
    return -value if match["sign"] else value


def parse_datetime(text: str) -> datetime:
    """Parse an xs:dateTime; a value without offset is taken as UTC (ONVIF devices do)."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidValueError(f"not an xs:dateTime: {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_termination_time(text: str, now: datetime) -> datetime:
    """wsnt:AbsoluteOrRelativeTimeType: a duration from `now`, or an absolute time."""
    raw = text.strip()
    if raw.startswith(("P", "-P")):
        return now + parse_duration(raw)
    return parse_datetime(raw)


def format_datetime(value: datetime) -> str:
    """xs:dateTime in UTC with a Z, to the second (what clients parse most reliably)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
