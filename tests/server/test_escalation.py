"""Escalation on a real server with a real clock: nobody acknowledges, the wall is reached."""

from __future__ import annotations

import asyncio

import pytest

from tests.server.conftest import Live, SiteEdit

pytestmark = pytest.mark.asyncio


@pytest.fixture
def site_text() -> SiteEdit:
    return lambda text: text.replace("ack_timeout_s: 30", "ack_timeout_s: 0.3")


async def test_unacknowledged_sos_reaches_supervisor_then_wall(live: Live) -> None:
    _, sos = await live.post_event("EXPH-03", "sos")
    inc_id = sos["incident_id"]
    for _ in range(40):
        await asyncio.sleep(0.05)
        inc = await live.get(f"/api/v1/incidents/{inc_id}")
        if inc["escalation_level"] == 2:
            break
    assert inc["escalation_level"] == 2
    assert "wall" in inc["consoles"]
    escalations = [a["target"] for a in inc["actions"] if a["kind"] == "escalate"]
    assert escalations == ["supervisor", "wall"]
    assert [t["kind"] for t in inc["timeline"]].count("escalated") == 2


async def test_acknowledged_sos_does_not_escalate(live: Live) -> None:
    _, sos = await live.post_event("EXPH-03", "sos")
    status, _ = await live.post(f"/api/v1/incidents/{sos['incident_id']}/ack")
    assert status == 200
    await asyncio.sleep(0.8)
    inc = await live.get(f"/api/v1/incidents/{sos['incident_id']}")
    assert inc["escalation_level"] == 0
    assert [a for a in inc["actions"] if a["kind"] == "escalate"] == []
