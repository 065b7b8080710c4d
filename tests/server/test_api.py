"""The API on a real server: tokens, the seed table over HTTP, ack and audit, the stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.conftest import API_TOKEN
from tests.server.conftest import Live

pytestmark = pytest.mark.asyncio


async def test_api_needs_a_token_except_healthz(live: Live) -> None:
    for path in ("/api/v1/incidents", "/api/v1/events", "/api/v1/audit", "/openapi.json"):
        async with live.http.get(live.url + path) as r:
            assert r.status == 401, path
        async with live.http.get(live.url + path, headers={"Authorization": "Bearer nope"}) as r:
            assert r.status == 401, path
    async with live.http.get(live.url + "/healthz") as r:
        assert r.status == 200 and (await r.json())["status"] == "ok"
    spec = await live.get("/openapi.json")
    assert "/api/v1/incidents/{id}/ack" in spec["paths"]


async def test_sos_over_off_hook_through_the_api(live: Live) -> None:
    _, routine = await live.post_event("EXPH-07", "off_hook")
    _, sos = await live.post_event("EXPH-03", "sos")
    _, later = await live.post_event("EXPH-07", "call_connected")
    assert later["incident_id"] == routine["incident_id"]
    sos_inc = await live.get(f"/api/v1/incidents/{sos['incident_id']}")
    routine_inc = await live.get(f"/api/v1/incidents/{routine['incident_id']}")
    assert {a["target"] for a in sos_inc["actions"] if a["kind"] == "popup"} == {
        "dispatch",
        "supervisor",
    }
    # call_connected at post 07 widened nothing on dispatch: the SOS holds that screen.
    late = [a for a in routine_inc["actions"] if a["event_id"] == later["event_id"]]
    assert [a for a in late if a["kind"] == "show"] == []
    assert any("withheld" in t["text"] for t in routine_inc["timeline"])
    active = (await live.get("/api/v1/incidents", active="1"))["incidents"]
    assert {i["priority"] for i in active} == {10, 90}


async def test_acknowledge_is_audited_with_the_token_name_and_not_repeatable(live: Live) -> None:
    _, sos = await live.post_event("EXPH-03", "sos")
    status, body = await live.post(f"/api/v1/incidents/{sos['incident_id']}/ack")
    assert status == 200 and body["incident"]["acknowledged_by"] == "control-room"
    status, body = await live.post(f"/api/v1/incidents/{sos['incident_id']}/ack")
    assert status == 409 and "acknowledged" in body["detail"]
    status, _ = await live.post("/api/v1/incidents/nope/ack")
    assert status == 404
    status, _ = await live.post(
        f"/api/v1/incidents/{sos['incident_id']}/note", {"text": "guard on his way"}
    )
    assert status == 200
    audit = (await live.get("/api/v1/audit"))["audit"]
    assert [(a["actor"], a["action"]) for a in audit] == [
        ("control-room", "note"),
        ("control-room", "acknowledge"),
    ]


async def test_clear_then_door_release_are_planned_and_audited(live: Live) -> None:
    _, call = await live.post_event("GATE-INTERCOM-01", "button_press")
    status, body = await live.post(f"/api/v1/incidents/{call['incident_id']}/door")
    assert status == 200
    [door] = body["actions"]
    assert (door["kind"], door["target"], door["state"]) == ("door", "GATE-INTERCOM-01", "planned")
    status, body = await live.post(f"/api/v1/incidents/{call['incident_id']}/clear")
    assert status == 200 and body["incident"]["state"] == "cleared"


async def _read_sse(
    resp: aiohttp.ClientResponse, want: int = 1_000, until_kind: str | None = None
) -> list[tuple[int, str, Any]]:
    out: list[tuple[int, str, Any]] = []
    seq, kind = 0, ""
    while len(out) < want:
        if until_kind and out and out[-1][1] == until_kind:
            break
        line = (await resp.content.readline()).decode().rstrip("\n")
        if line.startswith("id: "):
            seq = int(line[4:])
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind != "hello":
            out.append((seq, kind, json.loads(line[6:])))
    return out


async def test_stream_pushes_only_this_consoles_screen_actions_and_resumes_by_id(
    live: Live,
) -> None:
    url = f"{live.url}/api/v1/stream"
    params = {"console": "supervisor", "access_token": API_TOKEN}
    async with live.http.get(url, params=params) as resp:
        assert resp.status == 200
        await asyncio.sleep(0.05)
        await live.post_event("EXPH-07", "off_hook")  # dispatch only: not for supervisor
        _, sos = await live.post_event("EXPH-03", "sos")
        msgs = await asyncio.wait_for(_read_sse(resp, until_kind="screen"), timeout=5)
    # One `changes` message per decision here (the events came one at a time), carrying
    # the event, the incidents it changed and the actions it planned.
    decisions = [d for m in msgs if m[1] == "changes" for d in m[2].get("decisions", [])]
    assert [d["event"]["type"] for d in decisions] == ["off_hook", "sos"]
    [sos_decision] = [d for d in decisions if d["event"]["type"] == "sos"]
    assert [i["id"] for i in sos_decision["incidents"]] == [sos["incident_id"]]
    assert {a["kind"] for a in sos_decision["actions"]} >= {"popup", "preset", "record"}
    # The screen instructions (the SOS pop-up and the view that goes with it) came to the
    # supervisor in one message; the off-hook's, for dispatch, did not come here at all.
    [screen] = [m for m in msgs if m[1] == "screen"]
    assert {(a["kind"], a["target"]) for a in screen[2]["actions"]} == {
        ("popup", "supervisor"),
        ("show", "supervisor"),
    }
    assert {a["incident_id"] for a in screen[2]["actions"]} == {sos["incident_id"]}
    last_seen = msgs[0][0]
    async with live.http.get(url, params=params, headers={"Last-Event-ID": str(last_seen)}) as r:
        resumed = await asyncio.wait_for(_read_sse(r, len(msgs) - 1), timeout=5)
    assert [m[0] for m in resumed] == [m[0] for m in msgs[1:]]


async def test_event_log_pages_backwards_with_the_cursor_it_returns(live: Live) -> None:
    kinds = ["test", "tamper", "door_open", "motion", "input_active"]
    for kind in kinds:
        assert (await live.post_event("GATE-INTERCOM-01", kind))[0] == 202
    first = await live.get("/api/v1/events", limit="2")
    assert [e["type"] for e in first["events"]] == ["input_active", "motion"]
    second = await live.get("/api/v1/events", limit="2", before=str(first["next_before"]))
    assert [e["type"] for e in second["events"]] == ["door_open", "tamper"]
    last = await live.get("/api/v1/events", limit="2", before=str(second["next_before"]))
    assert [e["type"] for e in last["events"]] == ["test"] and last["next_before"] is None


async def test_stream_hello_names_the_boot_and_ids_from_another_boot_are_not_replayed(
    live: Live,
) -> None:
    await live.post_event("EXPH-03", "test")
    url = f"{live.url}/api/v1/stream"
    base = {"access_token": API_TOKEN, "last_event_id": "0"}
    async with live.http.get(url, params={**base, "boot": live.server.feed.hub.boot}) as r:
        hello = await asyncio.wait_for(_hello(r), timeout=5)
        replayed = await asyncio.wait_for(_read_sse(r, 1), timeout=5)
    assert hello["resumed"] is True and replayed[0][1] == "changes"
    assert replayed[0][2]["decisions"][0]["event"]["type"] == "test"
    async with live.http.get(url, params={**base, "boot": "an-older-boot"}) as r:
        hello = await asyncio.wait_for(_hello(r), timeout=5)
    assert hello["resumed"] is False and hello["boot"] == live.server.feed.hub.boot


async def _hello(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    while True:
        line = (await resp.content.readline()).decode()
        if line.startswith("data: "):
            return dict(json.loads(line[6:]))


async def test_a_last_event_id_this_process_never_gave_is_treated_as_another_boot(
    live: Live,
) -> None:
    url = f"{live.url}/api/v1/stream"
    params = {"access_token": API_TOKEN}
    async with live.http.get(url, params=params, headers={"Last-Event-ID": "999999"}) as r:
        hello = await asyncio.wait_for(_hello(r), timeout=5)
    assert hello["resumed"] is False
