"""POST /api/v1/events on a real server: accepted only when durable; every refusal."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from tests.conftest import API_TOKEN, WEBHOOK_SECRET
from tests.server.conftest import Live

pytestmark = pytest.mark.asyncio


async def test_signed_event_is_stored_and_its_incident_and_planned_actions_are_visible(
    live: Live,
) -> None:
    status, body = await live.post_event("EXPH-03", "off_hook")
    assert status == 202
    assert body["incident_id"] and body["actions"]
    # Durable before the 202: the store answers for it straight away.
    assert await live.server.store.event_exists(body["event_id"])
    events = (await live.get("/api/v1/events"))["events"]
    assert [e["id"] for e in events] == [body["event_id"]]
    assert events[0]["location"] == "TANKFARM-EAST-POST-03"
    inc = await live.get(f"/api/v1/incidents/{body['incident_id']}")
    assert inc["state"] == "open" and inc["events"][0]["id"] == body["event_id"]
    kinds = sorted({a["kind"] for a in inc["actions"]})
    assert kinds == ["popup", "preset", "record", "show"]
    preset = next(a for a in inc["actions"] if a["kind"] == "preset")
    assert preset["target"] == "TANKFARM-EAST-PTZ-01" and preset["payload"]["preset"] == "7"
    # The camera has no ONVIF endpoint in this site: the preset fails at once, visibly.
    for _ in range(100):
        inc = await live.get(f"/api/v1/incidents/{body['incident_id']}")
        preset = next(a for a in inc["actions"] if a["kind"] == "preset")
        if preset["state"] == "failed":
            break
        await asyncio.sleep(0.02)
    assert preset["state"] == "failed"
    assert "no ONVIF endpoint configured for TANKFARM-EAST-PTZ-01" in preset["last_error"]


async def test_signature_made_by_the_reference_library_is_accepted(live: Live) -> None:
    now = utc_now()
    body = event_body("EXPH-03", "sos", now)
    signature = Webhook(WEBHOOK_SECRET).sign("msg_ref_1", now, body.decode())
    headers = {
        "webhook-id": "msg_ref_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }
    status, answer = await live.post_raw(body, headers)
    assert status == 202, answer


async def test_bearer_api_token_is_accepted(live: Live) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"}
    status, _ = await live.post_event("EXPH-03", "tamper", headers=headers)
    assert status == 202


async def test_refused_requests_say_why_and_store_nothing(live: Live) -> None:
    now = utc_now()
    good = event_body("EXPH-03", "sos", now)
    other_secret = "whsec_" + base64.b64encode(b"not-the-site-secret-0123456789ab").decode()
    stale = signed_headers(WEBHOOK_SECRET, good, now - timedelta(minutes=6))
    cases: list[tuple[int, bytes, dict[str, str], str]] = [
        (401, good, {"Content-Type": "application/json"}, "no webhook signature"),
        (401, good, signed_headers(other_secret, good, now), "signature does not match"),
        (401, good, stale, "tolerance"),
        (
            401,
            good,
            {**signed_headers(WEBHOOK_SECRET, good, now), "webhook-signature": "v1,AAAA"},
            "signature does not match",
        ),
        (
            401,
            good,
            {"webhook-id": "x", "webhook-timestamp": "soon", "webhook-signature": "v1,x"},
            "integer seconds",
        ),
        (401, good, {"Authorization": "Bearer wrong-token"}, "bearer token does not match"),
        (400, b"{not json", {}, "not valid JSON"),
        (400, b'{"device": "EXPH-03", "type": "sos"}', {}, "'time' is required"),
        (400, b'{"device": "EXPH-03", "type": "sos", "time": "yesterday"}', {}, "RFC 3339"),
        (
            400,
            b'{"device": "EXPH-03", "type": "sos", "time": "2026-11-21T08:00:00"}',
            {},
            "no UTC offset",
        ),
        (
            400,
            b'{"device": "EXPH-03", "type": "sos", "time": "2026-11-21T08:00:00Z", "x": 1}',
            {},
            "unknown field",
        ),
        (422, event_body("EXPH-99", "sos", now), {}, "unknown device 'EXPH-99'"),
        (422, event_body("EXPH-03", "explosion", now), {}, "unknown event type 'explosion'"),
        (413, b"{" + b" " * 20_000 + b"}", {}, "more than"),
    ]
    for status, body, headers, reason in cases:
        hdrs = headers or signed_headers(WEBHOOK_SECRET, body, now)
        got, answer = await live.post_raw(body, hdrs)
        assert (got, reason in answer["detail"]) == (status, True), (status, reason, answer)
    assert (await live.get("/api/v1/events"))["events"] == []
    health = await live.get("/healthz")
    refused = health["requests_refused"]
    assert refused["401 unauthorized"] == 6 and refused["400 malformed"] == 5
    assert refused["422 unknown"] == 2 and refused["413 body too large"] == 1


async def test_replayed_webhook_id_is_refused(live: Live) -> None:
    now = utc_now()
    body = event_body("EXPH-03", "off_hook", now)
    headers = signed_headers(WEBHOOK_SECRET, body, now, msg_id="msg_once")
    assert (await live.post_raw(body, headers))[0] == 202
    status, answer = await live.post_raw(body, headers)
    assert status == 409 and "already used" in answer["detail"]
    assert len((await live.get("/api/v1/events"))["events"]) == 1


async def test_redelivered_event_id_is_acknowledged_once_and_stored_once(live: Live) -> None:
    first, a = await live.post_event("EXPH-03", "sos", event_id="evt-77")
    again, b = await live.post_event("EXPH-03", "sos", event_id="evt-77")
    assert (first, again) == (202, 200)
    assert a["event_id"] == b["event_id"] == "EXPH-03:evt-77" and b["duplicate"] is True
    assert b["incident_id"] == a["incident_id"] is not None  # a retry learns the incident
    assert len((await live.get("/api/v1/events"))["events"]) == 1


async def test_duplicate_inside_window_is_stored_marked_suppressed_without_actions(
    live: Live,
) -> None:
    _, first = await live.post_event("EXPH-03", "sos")
    assert first["suppressed"] is False and first["actions"]
    status, dup = await live.post_event("EXPH-03", "sos")
    assert status == 202 and dup["suppressed"] is True and dup["actions"] == []
    events = (await live.get("/api/v1/events"))["events"]
    assert [e["suppressed"] for e in events] == [True, False]  # newest first


async def test_device_time_is_kept_apart_from_server_time(live: Live) -> None:
    device_time = utc_now() - timedelta(seconds=42)
    status, _ = await live.post_event("EXPH-03", "test", time=device_time)
    assert status == 202
    [event] = (await live.get("/api/v1/events"))["events"]
    assert event["device_time"] == device_time.isoformat()
    assert event["received_at"] != event["device_time"]


async def test_concurrent_redeliveries_of_one_event_store_it_once_and_all_succeed(
    live: Live,
) -> None:
    answers = await asyncio.gather(
        *(live.post_event("EXPH-03", "sos", event_id="storm-1") for _ in range(20))
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 19 + [202]  # one decided, the rest told it is a duplicate
    assert {body["event_id"] for _, body in answers} == {"EXPH-03:storm-1"}
    assert len((await live.get("/api/v1/events"))["events"]) == 1
    assert (await live.get("/healthz"))["status"] == "ok"
