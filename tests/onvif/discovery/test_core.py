"""The pure halves of prober, responder and listener, and a lossy in-memory link."""

from __future__ import annotations

import random
from dataclasses import replace

from callpoint.onvif import discovery as wsd
from callpoint.onvif.discovery.responder import MAX_ANSWERS_PER_S
from callpoint.onvif.discovery.udp import UDP_REPEAT

CAMERA = wsd.Endpoint(
    "urn:uuid:0c0ffee0-0000-4000-8000-000000000001",
    (wsd.NETWORK_VIDEO_TRANSMITTER,),
    ("onvif://www.onvif.org/location/GATE", "onvif://www.onvif.org/name/Gate"),
    ("http://10.0.0.5/onvif/device_service",),
)
PROBER = ("10.0.0.1", 40000)
DEVICE_ADDR = ("10.0.0.5", 3702)


def test_responder_answers_a_matching_probe_twice_and_a_repeat_not_at_all() -> None:
    core = wsd.ResponderCore(CAMERA, instance_id=5)
    probe = wsd.Probe()
    replies = core.handle(wsd.encode(probe), PROBER)
    assert len(replies) == 1 + UDP_REPEAT
    assert all(r.to == PROBER for r in replies)
    assert replies[0].delay_s == 0.0 and replies[1].delay_s > 0  # repeat comes later
    answer = wsd.decode(replies[0].data)
    assert isinstance(answer, wsd.ProbeMatches)
    assert answer.relates_to == probe.message_id
    assert answer.matches == (CAMERA,)
    assert answer.app_sequence == wsd.AppSequence(5, 1)
    assert core.handle(wsd.encode(probe), PROBER) == []  # the sender's own UDP repeat


def test_responder_stays_silent_for_other_scopes_types_and_garbage() -> None:
    core = wsd.ResponderCore(CAMERA)
    assert (
        core.handle(wsd.encode(wsd.Probe(scopes=("onvif://www.onvif.org/location/YARD",))), PROBER)
        == []
    )
    assert core.handle(wsd.encode(wsd.Probe(types=(wsd.DEVICE,))), PROBER) == []
    assert core.handle(b"\x00garbage", PROBER) == []
    assert core.handle(b"<still not soap/>", PROBER) == []
    assert core.malformed == 2
    assert core.handle(wsd.encode(wsd.Hello(CAMERA)), PROBER) == []


def test_responder_resolves_its_own_address_only() -> None:
    core = wsd.ResponderCore(CAMERA)
    [reply, _] = core.handle(wsd.encode(wsd.Resolve(CAMERA.address)), PROBER)
    answer = wsd.decode(reply.data)
    assert isinstance(answer, wsd.ResolveMatches) and answer.match == CAMERA
    assert core.handle(wsd.encode(wsd.Resolve("urn:uuid:someone-else")), PROBER) == []


def test_multicast_answers_wait_up_to_app_max_delay() -> None:
    core = wsd.ResponderCore(CAMERA)
    probes = [wsd.encode(wsd.Probe()) for _ in range(50)]
    # One probe a second, well inside the answer rate limit.
    delays = [
        core.handle(p, PROBER, max_delay_s=0.5, now=float(i))[0].delay_s
        for i, p in enumerate(probes)
    ]
    assert all(0 <= d <= 0.5 for d in delays) and max(delays) > 0.1


def test_hello_bye_and_update_carry_a_growing_app_sequence() -> None:
    core = wsd.ResponderCore(CAMERA, instance_id=9)
    hello = wsd.decode(core.hello())
    moved = wsd.decode(core.update(replace(CAMERA, xaddrs=("http://10.0.0.6/onvif",))))
    bye = wsd.decode(core.bye())
    assert (
        isinstance(hello, wsd.Hello) and isinstance(moved, wsd.Hello) and isinstance(bye, wsd.Bye)
    )
    assert [x.app_sequence.message_number for x in (hello, moved, bye) if x.app_sequence] == [
        1,
        2,
        3,
    ]
    assert moved.endpoint.metadata_version == CAMERA.metadata_version + 1
    assert bye.endpoint == wsd.Endpoint(CAMERA.address)  # address only


def test_collector_deduplicates_by_address_and_merges_addresses() -> None:
    probe = wsd.Probe()
    collector = wsd.ProbeCollector(probe)
    first = wsd.encode(wsd.ProbeMatches(probe.message_id, (CAMERA,)))
    other_nic = wsd.Endpoint(
        CAMERA.address, CAMERA.types, CAMERA.scopes, ("http://192.168.9.5/onvif/device_service",)
    )
    second = wsd.encode(wsd.ProbeMatches(probe.message_id, (other_nic,)))
    assert [d.endpoint.address for d in collector.feed(first, DEVICE_ADDR)] == [CAMERA.address]
    assert collector.feed(first, DEVICE_ADDR) == []  # the device's repeat
    assert collector.feed(second, ("192.168.9.5", 3702)) == []
    [device] = collector.devices
    assert device.endpoint.xaddrs == CAMERA.xaddrs + other_nic.xaddrs
    assert device.source == DEVICE_ADDR
    assert device.info.name == "Gate" and device.info.locations == ("GATE",)


def test_collector_ignores_non_answers_and_counts_garbage() -> None:
    collector = wsd.ProbeCollector(wsd.Probe())
    assert collector.feed(wsd.encode(wsd.Hello(CAMERA)), DEVICE_ADDR) == []
    assert collector.feed(b"junk", DEVICE_ADDR) == []
    assert collector.malformed == 1 and collector.devices == []


def test_tracker_drops_repeats_and_stale_announcements() -> None:
    tracker = wsd.AnnouncementTracker()
    hello_old = wsd.Hello(CAMERA, wsd.AppSequence(100, 1))
    bye_new = wsd.Bye(wsd.Endpoint(CAMERA.address), wsd.AppSequence(100, 2))
    hello_reboot = wsd.Hello(CAMERA, wsd.AppSequence(200, 1))
    first = tracker.feed(wsd.encode(hello_old), DEVICE_ADDR)
    assert first is not None and first.joined
    assert tracker.feed(wsd.encode(hello_old), DEVICE_ADDR) is None  # repeat
    left = tracker.feed(wsd.encode(bye_new), DEVICE_ADDR)
    assert left is not None and not left.joined
    late = wsd.Hello(CAMERA, wsd.AppSequence(100, 1), message_id="urn:uuid:late-copy")
    assert tracker.feed(wsd.encode(late), DEVICE_ADDR) is None  # older than the Bye
    back = tracker.feed(wsd.encode(hello_reboot), DEVICE_ADDR)
    assert back is not None and back.joined  # new InstanceId: a restart
    assert tracker.feed(wsd.encode(wsd.Probe()), DEVICE_ADDR) is None


class LossyLink:
    """Delivers datagrams with probability 1 - loss, reproducibly."""

    def __init__(self, loss: float, seed: int) -> None:
        self.loss = loss
        self.random = random.Random(seed)

    def delivered(self, datagrams: list[bytes]) -> list[bytes]:
        return [d for d in datagrams if self.random.random() >= self.loss]


def exchange(link: LossyLink) -> bool:
    """One probe over the link, sent 1 + UDP_REPEAT times, answers likewise."""
    probe = wsd.Probe()
    core = wsd.ResponderCore(CAMERA)
    collector = wsd.ProbeCollector(probe)
    sent = [wsd.encode(probe)] * (1 + UDP_REPEAT)
    for datagram in link.delivered(sent):
        answers = [out.data for out in core.handle(datagram, PROBER)]
        for answer in link.delivered(answers):
            collector.feed(answer, DEVICE_ADDR)
    return len(collector.devices) == 1


def test_repeats_survive_a_lossy_link() -> None:
    # 30 % loss each way: one datagram each way gets through 0.7 * 0.7 = 49 % of the time;
    # sent twice each way it is (1 - 0.3**2) ** 2 = 83 %.
    link = LossyLink(0.3, seed=1)
    found = sum(exchange(link) for _ in range(400))
    assert found / 400 > 0.75
    assert exchange(LossyLink(0.0, seed=2))
    assert not exchange(LossyLink(1.0, seed=3))


def test_answers_are_rate_limited_against_reflection_floods() -> None:
    core = wsd.ResponderCore(CAMERA)
    answered = sum(
        bool(core.handle(wsd.encode(wsd.Probe()), PROBER, now=100.0)) for _ in range(100)
    )
    assert answered == int(MAX_ANSWERS_PER_S)  # the burst, then nothing in the same instant
    assert core.refused == 100 - answered
    # Tokens come back with time: half a second later, half the bucket.
    later = sum(bool(core.handle(wsd.encode(wsd.Probe()), PROBER, now=100.5)) for _ in range(100))
    assert later == int(MAX_ANSWERS_PER_S / 2)
    # Non-matching probes do not use up the budget.
    quiet = wsd.ResponderCore(CAMERA)
    for _ in range(100):
        quiet.handle(wsd.encode(wsd.Probe(types=(wsd.DEVICE,))), PROBER, now=5.0)
    assert quiet.handle(wsd.encode(wsd.Probe()), PROBER, now=5.0)
