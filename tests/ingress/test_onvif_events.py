"""The ONVIF events ingress against our virtual device server on loopback.

Each test runs a real `DeviceHost`, the ingress with short timings, and collects what the
ingress submits (normalised as the runtime does, by the site's normaliser).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web

from callpoint.ingress.onvif_events import OnvifEventIngress
from callpoint.ingress.onvif_lifecycle import SubscriptionState
from callpoint.ingress.onvif_subscription import (
    DeviceSubscription,
    OnvifTarget,
    SubscriptionSettings,
)
from callpoint.model import EventType, Source
from callpoint.onvif.xmlsafe import MAX_SOAP_BYTES
from tests.clocks import ManualClock
from tests.factories import T0
from tests.ingress.onvifsupport import (
    FAST,
    hosted_intercom,
    intercom_target,
    quirk_proxy,
    serve_app,
    soap_fault,
    wait_until,
)
from tests.ingress.sinks import RecordingSink

pytestmark = pytest.mark.asyncio


Sink = RecordingSink


@asynccontextmanager
async def ingress(
    targets: list[OnvifTarget],
    settings: SubscriptionSettings = FAST,
    notify_base: str | None = None,
) -> AsyncIterator[tuple[OnvifEventIngress, Sink]]:
    sink = Sink()
    ing = OnvifEventIngress(
        targets, sink, settings=settings, notify_base=notify_base, clock=ManualClock(T0)
    )
    await ing.start()
    try:
        yield ing, sink
    finally:
        await ing.stop()


def virtual(ing: OnvifEventIngress) -> ManualClock:
    """The ingress's clock (every test here runs it on virtual time)."""
    assert isinstance(ing.time, ManualClock)
    return ing.time


async def wait(
    ing: OnvifEventIngress, cond: Callable[[], bool], timeout_s: float = 10.0, what: str = ""
) -> None:
    """Wait for ``cond`` while the ingress's virtual time flies (see ``wait_until``)."""
    await wait_until(cond, timeout_s, what, clock=virtual(ing))


def flowing(ing: OnvifEventIngress, device: str = "GATE-INTERCOM-01") -> bool:
    return ing.workers[device].healthy


async def test_input_change_becomes_a_callpoint_event() -> None:
    async with hosted_intercom() as dev, ingress([dev.target()]) as (ing, sink):
        await wait(ing, lambda: flowing(ing), what="PullPoint")
        dev.device.set_input("call-button", True)
        await wait(ing, lambda: bool(sink.of(EventType.INPUT_ACTIVE)), what="input event")
        (event,) = sink.of(EventType.INPUT_ACTIVE)
        assert (event.device_id, event.location, event.source) == (
            "GATE-INTERCOM-01",
            "MAIN-GATE",
            Source.ONVIF,
        )
        assert event.attributes["topic"] == "tns1:Device/Trigger/DigitalInput"
        assert event.attributes["source.InputToken"] == "call-button"
        # Initialized states sent at subscription start are not events.
        assert not sink.of(EventType.INPUT_INACTIVE)
        assert not sink.of(EventType.FAULT)


async def test_no_event_is_dropped_across_renewals() -> None:
    settings = replace(FAST, lifetime_s=2.0, pull_timeout_s=0.5)
    async with hosted_intercom() as dev, ingress([dev.target()], settings) as (ing, sink):
        await wait(ing, lambda: flowing(ing), what="PullPoint")
        worker = ing.workers["GATE-INTERCOM-01"]
        states = []
        for i in range(60):  # 3 s of virtual time: spans two renewals (every 1.2 s)
            dev.device.set_input("call-button", i % 2 == 0)
            states.append(i % 2 == 0)
            virtual(ing).advance(0.05)
            await asyncio.sleep(0.005)  # real time for the pulls and renewals on loopback
        await wait(ing, lambda: len(sink.events) >= 60, what="60 events")
        assert worker.renewals >= 2
        got = [e.type is EventType.INPUT_ACTIVE for e in sink.events]
        assert got == states  # every toggle, once, in order
        assert ing.transitions[SubscriptionState.PULL_RENEWING] == worker.renewals
        assert ing.transitions[SubscriptionState.ERROR] == 0


async def test_reboot_is_reported_recovered_from_and_events_flow_again() -> None:
    async with hosted_intercom() as dev, ingress([dev.target()]) as (ing, sink):
        await wait(ing, lambda: flowing(ing), what="PullPoint")
        dev.reboot()
        await wait(ing, lambda: bool(sink.of(EventType.FAULT_CLEARED)), what="recovery")
        (fault,) = sink.of(EventType.FAULT)
        assert fault.source is Source.SUPERVISION
        assert fault.attributes["component"] == "onvif_events"
        assert "subscription lost" in str(fault.attributes["reason"])
        assert fault.attributes["state"] in ("pulling", "pull_renewing")
        (cleared,) = sink.of(EventType.FAULT_CLEARED)
        assert cleared.attributes["state"] == "pulling"
        dev.device.set_input("tamper", True)
        await wait(ing, lambda: bool(sink.of(EventType.INPUT_ACTIVE)), what="event after reboot")


async def test_unreachable_device_raises_a_fault_then_clears_when_it_appears() -> None:
    async with hosted_intercom() as probe_dev:
        port = int(probe_dev.hosted.base_url.rsplit(":", 1)[1])
    target = intercom_target(f"http://127.0.0.1:{port}/onvif/device_service")
    async with ingress([target]) as (ing, sink):
        await wait(ing, lambda: bool(sink.of(EventType.FAULT)), what="fault")
        assert "unreachable" in str(sink.of(EventType.FAULT)[0].attributes["reason"])
        async with hosted_intercom(port):
            await wait(ing, lambda: bool(sink.of(EventType.FAULT_CLEARED)), 15, "cleared")
            # Inside: the device going away at the end is a new loss (a second fault).
            assert len(sink.of(EventType.FAULT)) == 1  # the same reason is reported once


async def test_stop_lets_the_subscription_lapse_without_unsubscribe() -> None:
    async with hosted_intercom() as dev, quirk_proxy(dev.hosted.base_url) as proxy:
        url = proxy.url + "/onvif/device_service"
        async with ingress([dev.target(url)]) as (ing, _):
            await wait(ing, lambda: flowing(ing), what="PullPoint")
        assert "CreatePullPointSubscription" in proxy.ops()
        assert "Unsubscribe" not in proxy.ops()
        assert len(dev.device.events.table) == 1  # still there until its termination time


async def test_relative_time_refused_falls_back_to_absolute_initial_termination() -> None:
    def refuse_durations(op: str, body: bytes) -> bytes | None:
        if op == "CreatePullPointSubscription" and b">PT" in body:
            return soap_fault("InvalidArgVal", "relative time not supported")
        return None

    async with hosted_intercom() as dev, quirk_proxy(dev.hosted.base_url) as proxy:
        proxy.hook = refuse_durations
        async with ingress([dev.target(proxy.url + "/onvif/device_service")]) as (ing, sink):
            await wait(ing, lambda: ing.workers["GATE-INTERCOM-01"].renewals >= 1, what="renew")
            assert ing.workers["GATE-INTERCOM-01"].absolute_times
        renews = [b for op, b in proxy.seen if op == "Renew"]
        assert renews and all(b">PT" not in b for b in renews)
        assert not sink.of(EventType.FAULT)


async def test_device_misreading_relative_times_gets_absolute_ones() -> None:
    def expire_now(op: str, reply: bytes) -> bytes:
        # Firmware that turns PT3S into "now": TerminationTime equals CurrentTime.
        if op != "CreatePullPointSubscription":
            return reply
        current = re.search(rb"CurrentTime>([^<]+)<", reply)
        assert current is not None
        return re.sub(
            rb"TerminationTime>[^<]+<", b"TerminationTime>" + current.group(1) + b"<", reply
        )

    async with hosted_intercom() as dev, quirk_proxy(dev.hosted.base_url) as proxy:
        proxy.rewrite = expire_now
        async with ingress([dev.target(proxy.url + "/onvif/device_service")]) as (ing, sink):
            await wait(ing, lambda: flowing(ing), what="PullPoint")
            worker = ing.workers["GATE-INTERCOM-01"]
            assert worker.absolute_times and worker.renewals >= 1
            dev.device.set_input("call-button", True)
            await wait(ing, lambda: bool(sink.of(EventType.INPUT_ACTIVE)), what="event")
        renews = [b for op, b in proxy.seen if op == "Renew"]
        assert renews and b">PT" not in renews[0]


async def test_pullpoint_refused_falls_back_to_base_notification() -> None:
    def no_pullpoint(op: str, body: bytes) -> bytes | None:
        if op == "CreatePullPointSubscription":
            return soap_fault("ActionNotSupported", "no PullPoint here", code="Receiver")
        return None

    app = web.Application()
    holder: list[OnvifEventIngress] = []

    async def notify(request: web.Request) -> web.StreamResponse:
        return await holder[0].handle_notify(request)

    app.router.add_post("/onvif/notify/{key}", notify)
    async with (
        serve_app(app) as base,
        hosted_intercom() as dev,
        quirk_proxy(dev.hosted.base_url) as proxy,
    ):
        proxy.hook = no_pullpoint
        target = dev.target(proxy.url + "/onvif/device_service")
        async with ingress([target], notify_base=base) as (ing, sink):
            holder.append(ing)
            worker = ing.workers["GATE-INTERCOM-01"]
            await wait(ing, lambda: worker.state is SubscriptionState.LISTENING, 10, "Notify")
            assert worker.mode == "notify"
            dev.device.set_input("call-button", True)
            await wait(ing, lambda: bool(sink.of(EventType.INPUT_ACTIVE)), what="notified")
            await wait(ing, lambda: worker.renewals >= 1, what="renewal of Notify")
        assert "Subscribe" in proxy.ops()
        # The refusal was reported, then cleared once Notify delivery was in place.
        assert [e.type for e in sink.of(EventType.FAULT, EventType.FAULT_CLEARED)] == [
            EventType.FAULT,
            EventType.FAULT_CLEARED,
        ]


async def test_notify_endpoint_refuses_unknown_keys_and_bad_bodies() -> None:
    async with hosted_intercom() as dev, ingress([dev.target()]) as (ing, _):
        app = web.Application()
        app.add_routes(ing.routes())
        # The 413 is answered before the body is read; with aiohttp's default lingering
        # close the server would then read (and cleanup wait for) the unread body for 10 s.
        async with serve_app(app, lingering_time=0) as base, aiohttp.ClientSession() as http:
            async with http.post(f"{base}/onvif/notify/nope", data=b"<x/>") as r:
                assert r.status == 404
            key = ing.workers["GATE-INTERCOM-01"].notify_key
            async with http.post(f"{base}/onvif/notify/{key}", data=b"<not-soap") as r:
                assert r.status == 400
            huge = b"<x>" + b" " * MAX_SOAP_BYTES + b"</x>"
            async with http.post(f"{base}/onvif/notify/{key}", data=huge) as r:
                assert r.status == 413


async def test_a_crashing_worker_is_reported_and_restarted(monkeypatch: pytest.MonkeyPatch) -> None:
    real = DeviceSubscription._establish
    calls = 0

    async def buggy(self: DeviceSubscription) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("bug in a worker")
        await real(self)

    monkeypatch.setattr(DeviceSubscription, "_establish", buggy)
    async with hosted_intercom() as dev, ingress([dev.target()]) as (ing, sink):
        await wait(ing, lambda: bool(sink.of(EventType.FAULT_CLEARED)), 10, "restart")
        (fault,) = sink.of(EventType.FAULT)
        assert "worker crashed: RuntimeError: bug in a worker" in str(fault.attributes["reason"])
        assert flowing(ing)


async def test_a_lost_pull_answer_is_retried_on_the_same_subscription() -> None:
    pulls = 0

    def drop_second_pull(op: str) -> bool:
        nonlocal pulls
        pulls += op == "PullMessages"
        return op == "PullMessages" and pulls == 2

    async with hosted_intercom() as dev, quirk_proxy(dev.hosted.base_url) as proxy:
        proxy.drop = drop_second_pull
        target = dev.target(proxy.url + "/onvif/device_service")
        long_lived = replace(FAST, lifetime_s=20.0)  # outlives the stalled answer
        async with ingress([target], long_lived) as (ing, sink):
            worker = ing.workers["GATE-INTERCOM-01"]
            await wait(ing, lambda: worker.pull_retries == 1, what="a retried pull")
            dev.device.set_input("call-button", True)
            await wait(ing, lambda: bool(sink.of(EventType.INPUT_ACTIVE)), what="event")
        assert proxy.ops().count("CreatePullPointSubscription") == 1
        assert not sink.of(EventType.FAULT)


async def test_change_missed_while_the_device_rebooted_is_recovered() -> None:
    async with hosted_intercom() as dev, ingress([dev.target()]) as (ing, sink):
        await wait(ing, lambda: flowing(ing), what="PullPoint")
        # The first pull's Initialized states must be known before the reboot, or the new
        # subscription's would be the first ones seen (nothing to recover from).
        worker = ing.workers["GATE-INTERCOM-01"]
        await wait(ing, lambda: worker.delivered > 0, what="initial states")
        dev.reboot()
        dev.device.set_input("call-button", True)  # nobody is subscribed: no Changed sent
        await wait(ing, lambda: bool(sink.of(EventType.INPUT_ACTIVE)), 10, "recovered")
        (event,) = sink.of(EventType.INPUT_ACTIVE)
        assert event.attributes["recovered"] is True
        assert event.attributes["source.InputToken"] == "call-button"
        assert len(sink.of(EventType.FAULT)) == 1


async def test_device_clock_an_hour_off_still_renews_and_delivers() -> None:
    settings = replace(FAST, lifetime_s=2.0)
    async with (
        hosted_intercom(clock_offset_s=3600.0) as dev,
        ingress([dev.target()], settings) as (ing, sink),
    ):
        await wait(ing, lambda: flowing(ing), what="PullPoint")
        worker = ing.workers["GATE-INTERCOM-01"]
        assert abs(worker.device.clock_offset_s - 3600.0) < 2
        await wait(ing, lambda: worker.renewals >= 2, what="two renewals")
        dev.device.set_input("call-button", True)
        await wait(ing, lambda: bool(sink.of(EventType.INPUT_ACTIVE)), what="event")
        assert not worker.absolute_times  # lifetimes were judged on the device's own clock
        assert not sink.of(EventType.FAULT)
