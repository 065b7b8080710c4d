"""Every event, incident change and action outcome reaches a real rsyslogd over TCP."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from callpoint.codecs.syslog_parser import parse
from callpoint.model import utc_now
from tests.server.conftest import Live, SiteEdit
from tests.syslog.conftest import Rsyslog, rsyslog  # noqa: F401  # the fixture, re-used here

pytestmark = pytest.mark.asyncio


@pytest.fixture
def site_text(rsyslog: Rsyslog) -> SiteEdit:  # noqa: F811
    receiver = (
        f"    - {{host: 127.0.0.1, port: {rsyslog.tcp_port}, transport: tcp, facility: 16}}\n"
    )
    return lambda text: text.replace("  syslog: []\n", "  syslog:\n" + receiver)


def _params(record: dict[str, Any]) -> dict[str, str]:
    m = parse(b"<13>1 - - - - - " + record["sd"].encode())
    return {k: v for el in m.structured_data if el.id == "callpoint@32473" for k, v in el.params}


async def test_sos_event_incident_and_outcome_are_logged_with_both_clocks(
    live: Live,
    rsyslog: Rsyslog,  # noqa: F811
) -> None:
    device_time = utc_now() - timedelta(seconds=3)
    status, answer = await live.post_event("EXPH-03", "sos", time=device_time)
    assert status == 202
    for _ in range(300):
        records = rsyslog.records()
        if {r["msgid"] for r in records} >= {"EVENT", "INCIDENT", "ACTION"}:
            break
        await asyncio.sleep(0.02)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_kind.setdefault(record["msgid"], []).append(record)
    [event] = by_kind["EVENT"]
    params = _params(event)
    assert params["event"] == answer["event_id"] and params["type"] == "sos"
    assert params["deviceTime"].startswith(device_time.strftime("%Y-%m-%dT%H:%M:%S"))
    assert params["serverTime"] != params["deviceTime"]
    assert event["pri"] == str(16 * 8 + 2)  # local0, critical for an SOS
    assert any(_params(r).get("incident") == answer["incident_id"] for r in by_kind["INCIDENT"])
    assert by_kind["ACTION"]  # outcomes of the screen pushes (retried: nobody connected)
    health = await live.get("/healthz")
    assert health["syslog_dropped"] == 0
