"""The stream hub on its own: coalescing per loop turn, per-console targeting, numbering,
resume, slow clients cut off; and the stream's JSON shapes against the REST ones."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from callpoint.console import live, stream
from callpoint.console.live import decision_live, event_live, incident_live
from callpoint.console.serialize import event_json, incident_json
from callpoint.console.stream import StreamHub, StreamMessage
from callpoint.engine import Decision
from callpoint.model import (
    Event,
    EventType,
    Incident,
    IncidentState,
    Source,
    TimelineEntry,
)

T0 = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)


def _drain(sub: stream.Subscription) -> list[StreamMessage | None]:
    return sub.pending()


def _data(msg: StreamMessage | None) -> dict[str, object]:
    assert msg is not None
    head, _, body = msg.frame.partition(b"data: ")
    assert head == f"id: {msg.seq}\nevent: {msg.kind}\n".encode() and body.endswith(b"\n\n")
    return dict(json.loads(body))


async def _next_turn() -> None:
    await asyncio.sleep(0)


@pytest.fixture(autouse=True)
def _flush_every_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most tests here look at one loop turn at a time; the interval has a test of its own."""
    monkeypatch.setattr(stream, "FLUSH_INTERVAL_S", 0.0)


@pytest.mark.asyncio
async def test_one_message_per_loop_turn_and_audience() -> None:
    hub = StreamHub()
    dispatch, wall, monitor = (hub.subscribe(c, None) for c in ("dispatch", "wall", None))
    hub.queue("changes", "decisions", {"n": 1})
    hub.queue("screen", "actions", {"kind": "show"}, console="dispatch")
    hub.queue("screen", "actions", {"kind": "popup"}, console="dispatch")
    hub.queue("screen", "actions", {"kind": "popup"}, console="supervisor")
    hub.queue("changes", "decisions", {"n": 2})
    hub.queue("changes", "outcomes", {"id": "a1"})
    assert hub.last_seq == 0 and _drain(dispatch) == []  # nothing until the next turn
    await _next_turn()
    got = _drain(dispatch)
    assert [(m.seq, m.kind) for m in got if m] == [(1, "changes"), (2, "screen")]
    assert _data(got[0]) == {"decisions": [{"n": 1}, {"n": 2}], "outcomes": [{"id": "a1"}]}
    assert _data(got[1]) == {"actions": [{"kind": "show"}, {"kind": "popup"}]}
    # Another console's screen instruction is not sent to this one, nor to the wall.
    assert [m.kind for m in _drain(wall) if m] == ["changes"]
    assert [(m.kind, m.console) for m in _drain(monitor) if m] == [
        ("changes", None),
        ("screen", "dispatch"),
        ("screen", "supervisor"),
    ]
    assert hub.screens("dispatch") == 1 and hub.screens("supervisor") == 0
    hub.queue("changes", "outcomes", {"id": "a2"})  # a later turn: a new message
    await _next_turn()
    assert [(m.seq, _data(m)) for m in _drain(wall) if m] == [(4, {"outcomes": [{"id": "a2"}]})]


@pytest.mark.asyncio
async def test_an_immediate_message_follows_what_was_queued_before_it() -> None:
    hub = StreamHub()
    sub = hub.subscribe(None, None)
    hub.queue("changes", "decisions", {"n": 1})
    hub.publish("config", {"generation": 2})
    await _next_turn()
    assert [m.kind for m in _drain(sub) if m] == ["changes", "config"]


def test_without_a_running_loop_a_queued_item_is_published_at_once() -> None:
    hub = StreamHub()
    sub = hub.subscribe(None, None)
    hub.queue("changes", "decisions", {"n": 1})
    assert [_data(m) for m in _drain(sub)] == [{"decisions": [{"n": 1}]}]


@pytest.mark.asyncio
async def test_resume_replays_what_was_missed_or_says_reset_when_too_old() -> None:
    hub = StreamHub(ring_size=5)
    for i in range(8):
        hub.publish("changes", {"n": i})
    resumed = _drain(hub.subscribe(None, last_seen=5))
    assert [m.seq for m in resumed if m] == [6, 7, 8]
    last = resumed[-1]
    assert last is not None and b'"n":7' in last.frame
    too_old = _drain(hub.subscribe(None, last_seen=1))
    assert [m.kind for m in too_old if m] == ["reset"]


@pytest.mark.asyncio
async def test_resume_replays_only_this_consoles_screen_messages() -> None:
    hub = StreamHub()
    hub.publish("screen", {"to": "supervisor"}, console="supervisor")
    hub.publish("screen", {"to": "dispatch"}, console="dispatch")
    hub.publish("changes", {"n": 1})
    assert [m.seq for m in _drain(hub.subscribe("dispatch", last_seen=0)) if m] == [2, 3]


@pytest.mark.asyncio
async def test_the_ring_is_bounded_in_bytes_too() -> None:
    hub = StreamHub(ring_bytes=1000)
    for i in range(20):
        hub.publish("changes", {"pad": "x" * 200, "n": i})
    kept = _drain(hub.subscribe(None, last_seen=17))
    assert [m.seq for m in kept if m] == [18, 19, 20]
    assert [m.kind for m in _drain(hub.subscribe(None, last_seen=10)) if m] == ["reset"]


@pytest.mark.asyncio
async def test_a_client_that_falls_behind_is_cut_off_not_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream, "CLIENT_QUEUE", 3)
    hub = StreamHub()
    slow = hub.subscribe(None, None)
    for i in range(10):
        hub.publish("changes", {"n": i})
    got = _drain(slow)
    assert got[-1] is None and slow.dropped  # the end marker: reconnect and resume by id
    # Coming back with its last id it would be cut off again: it is told to reload.
    assert [m.kind for m in _drain(hub.subscribe(None, last_seen=2)) if m] == ["reset"]
    assert hub.screens("dispatch") == 0


@pytest.mark.asyncio
async def test_a_client_behind_by_too_many_bytes_is_cut_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream, "CLIENT_QUEUE_BYTES", 1000)
    hub = StreamHub()
    slow, quick = hub.subscribe(None, None), hub.subscribe(None, None)
    for i in range(3):
        hub.publish("changes", {"pad": "x" * 300, "n": i})
        assert _drain(quick)[-1] is not None
    hub.publish("changes", {"pad": "x" * 300, "n": 3})
    assert _drain(slow) == [None] and slow.dropped and not quick.dropped


@pytest.mark.asyncio
async def test_a_stream_sent_nothing_for_a_while_gets_a_keep_alive_comment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream, "KEEPALIVE_S", 0.01)
    hub = StreamHub()
    wall, dispatch = hub.subscribe("wall", None), hub.subscribe("dispatch", None)
    got = await asyncio.wait_for(wall.next_batch(), timeout=5)
    assert [m.frame for m in got if m] == [b": keep-alive\n\n"]  # an SSE comment, no id
    assert hub.last_seq == 0
    # A round offers one only to the streams that were sent nothing since the last round.
    hub._keep_alive()
    wall.pending(), dispatch.pending()
    hub.publish("screen", {"actions": []}, console="dispatch")
    hub._keep_alive()
    assert [m.kind for m in wall.pending() if m] == ["keep-alive"]
    assert [m.kind for m in dispatch.pending() if m] == ["screen"]
    hub.unsubscribe(wall)
    hub.unsubscribe(dispatch)
    assert hub._keepalive is None  # no clients, no timer


def _incident(note: str = "ok") -> Incident:
    entries = (
        TimelineEntry(T0, "opened", "sos from EXPH-03", event_id="e1"),
        TimelineEntry(T0.replace(microsecond=0) + timedelta(seconds=2), "note", note, actor="al"),
    )
    return Incident(
        "i1",
        "POST-03",
        "EXPH-03",
        EventType.SOS,
        90,
        IncidentState.ACKNOWLEDGED,
        T0,
        T0 + timedelta(seconds=2),
        consoles=("dispatch", "supervisor"),
        acknowledged_by="al",
        acknowledged_at=T0 + timedelta(seconds=2),
        timeline=entries,
    )


def _event(text: str = "Zürich") -> Event:
    return Event(
        "e1",
        "EXPH-03",
        "POST-03",
        EventType.SOS,
        T0.astimezone(timezone(timedelta(hours=2))),  # a device stamp with its own offset
        T0,
        Source.WEBHOOK,
        90,
        MappingProxyType({"note": text, "level": 3}),
    )


@pytest.mark.parametrize("text", ["Zürich", "lone \ud800 surrogate"])
def test_stream_shapes_encode_as_the_rest_shapes(text: str) -> None:
    """Same field values as the API (the page merges both), on the fast and slow path."""
    inc = _incident(text)
    body = decision_live(Decision(event=_event(text), incidents=(inc,)))
    assert body is not None
    sent = json.loads(live.encode(body))
    assert sent["event"] == json.loads(json.dumps(event_json(_event(text))))
    assert sent["incidents"] == [json.loads(json.dumps(incident_json(inc)))]
    assert json.loads(live.encode(event_live(_event(text)))) == sent["event"]
    # A later version of the incident: the same entries and the new one.
    later = replace(inc, timeline=(*inc.timeline, TimelineEntry(T0, "cleared", "cleared")))
    assert json.loads(live.encode(incident_live(later)))["timeline"] == [
        *sent["incidents"][0]["timeline"],
        {
            "at": T0.isoformat(),
            "kind": "cleared",
            "text": "cleared",
            "event_id": None,
            "actor": None,
        },
    ]
    assert sent["incidents"][0]["timeline"][1] == {
        "at": "2026-03-01T08:00:02+00:00",
        "kind": "note",
        "text": text,
        "event_id": None,
        "actor": "al",
    }


def test_a_decision_with_nothing_to_show_is_not_sent() -> None:
    assert decision_live(Decision()) is None


@pytest.mark.asyncio
async def test_a_busy_hub_writes_at_most_once_per_flush_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream, "FLUSH_INTERVAL_S", 0.01)
    hub = StreamHub()
    sub = hub.subscribe("dispatch", None)
    loop = asyncio.get_running_loop()
    hub.queue("changes", "decisions", {"n": 1})
    await _next_turn()  # quiet before: the first message leaves on the next turn
    assert [m.seq for m in _drain(sub) if m] == [1]
    first = loop.time()
    for n in (2, 3):  # right after a flush: held back, then sent together
        hub.queue("changes", "decisions", {"n": n})
        await _next_turn()
    assert _drain(sub) == []
    got: list[StreamMessage | None] = []
    for _ in range(1000):
        if got := _drain(sub):
            break
        await asyncio.sleep(0.001)
    assert loop.time() - first >= stream.FLUSH_INTERVAL_S * 0.9
    assert [_data(m) for m in got] == [{"decisions": [{"n": 2}, {"n": 3}]}]
