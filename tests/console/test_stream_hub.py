"""The stream hub on its own: numbering, per-console filter, resume, slow clients cut off."""

from __future__ import annotations

from callpoint.console import stream
from callpoint.console.stream import StreamHub


def _drain(sub: stream.Subscription) -> list[stream.StreamMessage | None]:
    return sub.pending()


async def test_console_messages_reach_only_that_console_and_monitors() -> None:
    hub = StreamHub()
    dispatch, wall, monitor = (hub.subscribe(c, None) for c in ("dispatch", "wall", None))
    hub.publish("popup", {"incident_id": "i1"}, console="dispatch")
    hub.publish("incident", {"id": "i1"})
    assert [m.kind for m in _drain(dispatch) if m] == ["popup", "incident"]
    assert [m.kind for m in _drain(wall) if m] == ["incident"]
    assert [m.kind for m in _drain(monitor) if m] == ["popup", "incident"]
    assert hub.screens("dispatch") == 1 and hub.screens("supervisor") == 0


async def test_resume_replays_what_was_missed_or_says_reset_when_too_old() -> None:
    hub = StreamHub(ring_size=5)
    for i in range(8):
        hub.publish("event", {"n": i})
    resumed = _drain(hub.subscribe(None, last_seen=5))
    assert [m.seq for m in resumed if m] == [6, 7, 8]
    assert b'"n":7' in resumed[-1].frame  # type: ignore[union-attr]
    too_old = _drain(hub.subscribe(None, last_seen=1))
    assert [m.kind for m in too_old if m] == ["reset"]


async def test_a_client_that_falls_behind_is_cut_off_not_waited_for(monkeypatch) -> None:
    monkeypatch.setattr(stream, "CLIENT_QUEUE", 3)
    hub = StreamHub()
    slow = hub.subscribe(None, None)
    for i in range(10):
        hub.publish("event", {"n": i})
    got = _drain(slow)
    assert got[-1] is None and slow.dropped  # the end marker: reconnect and resume by id
    assert hub.screens("dispatch") == 0
