"""CSV rows of the event log: every field, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

from datetime import UTC, datetime

from callpoint.console.web.export import CSV_COLUMNS, csv_row
from callpoint.model import Event, EventType, Source


def test_row_has_every_column_and_neutralises_formulas() -> None:
    at = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    ev = Event(
        id="e1",
        device_id='=HYPERLINK("http://x")',
        location="-POST",
        type=EventType.SOS,
        device_time=at,
        received_at=at,
        source=Source.WEBHOOK,
        priority=90,
        attributes={"ext": "2003"},
    )
    row = csv_row(ev)
    assert len(row) == len(CSV_COLUMNS)
    assert row[2] == '\'=HYPERLINK("http://x")'
    assert row[3] == "'-POST"
    assert row[4] == "sos" and row[5] == "90" and row[9] == '{"ext":"2003"}'
