"""Events over HTTP: expiry, long-poll, MessageLimit, filters, and base-notification Notify."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from aiohttp import web
from lxml import etree

from callpoint.codecs.soap import parse_envelope
from callpoint.onvif.namespaces import TDS, TEV, TT, WSA, WSNT, qname
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost
from callpoint.onvif.server.subscriptions import MAX_QUEUED_MESSAGES, MAX_SUBSCRIPTIONS
from tests.onvif.server.conftest import Served
from tests.onvif.server.hanging import HangingServer
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom
from tests.onvif.server.soapcall import args, call, element

pytestmark = pytest.mark.asyncio

ADDRESS = f".//{{{WSA}}}Address"


async def create_pullpoint(served: Served, termination: str, topic: str | None = None) -> str:
    req = args(TEV, "CreatePullPointSubscription")
    if topic is not None:
        flt = etree.SubElement(req, qname(TEV, "Filter"))
        expr = etree.SubElement(
            flt,
            qname(WSNT, "TopicExpression"),
            Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet",
        )
        expr.text = topic
    etree.SubElement(req, qname(TEV, "InitialTerminationTime")).text = termination
    answer = await call(f"{served.hosted.base_url}/onvif/events_service", req, ADMIN, ADMIN_PW)
    assert answer.status == 200
    address = answer.body.findtext(ADDRESS)
    assert address is not None
    return address


async def pull(address: str, timeout: str = "PT0S", limit: int = 100) -> list[etree._Element]:
    answer = await call(
        address,
        args(TEV, "PullMessages", Timeout=timeout, MessageLimit=str(limit)),
        ADMIN,
        ADMIN_PW,
    )
    assert answer.status == 200, etree.tostring(answer.body)
    return answer.body.findall(qname(WSNT, "NotificationMessage"))


async def test_unrenewed_pullpoint_expires_and_then_faults(served: Served) -> None:
    address = await create_pullpoint(served, "PT1S")
    assert len(served.device.events.table) == 1
    await asyncio.sleep(1.3)
    assert len(served.device.events.table) == 0
    answer = await call(
        address, args(TEV, "PullMessages", Timeout="PT0S", MessageLimit="1"), ADMIN, ADMIN_PW
    )
    assert answer.status == 400
    assert b"ResourceUnknownFault" in etree.tostring(answer.body)


class SteppedClock:
    """A device clock the test moves by hand (real time plus an offset)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def test_renew_with_absolute_time_holds_until_exactly_then() -> None:
    clock = SteppedClock()
    host = DeviceHost()
    device = VirtualDevice(ptz_intercom(), clock=clock)
    served = Served(host, device, await host.add(device))
    try:
        address = await create_pullpoint(served, "PT60S")
        (sub,) = list(device.events.table)
        until = sub.created_at.replace(microsecond=0) + timedelta(hours=2)
        text = until.strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = await call(address, args(WSNT, "Renew", TerminationTime=text), ADMIN, ADMIN_PW)
        assert answer.body.findtext(qname(WSNT, "TerminationTime")) == text
        clock.offset = timedelta(hours=1, minutes=59)
        assert len(device.events.table) == 1  # the original 60 s are long gone
        clock.offset = timedelta(hours=2, seconds=1)
        assert len(device.events.table) == 0
        assert device.events.table.expired_count == 1
    finally:
        await host.close()


async def test_long_poll_returns_as_soon_as_an_event_arrives(served: Served) -> None:
    address = await create_pullpoint(served, "PT60S", "tns1:Device/Trigger/DigitalInput")
    initial = await pull(address)
    assert len(initial) == 2  # two inputs, Initialized; the relay/door topics are filtered out
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, served.device.set_input, "tamper", True)
    started = time.monotonic()
    messages = await pull(address, timeout="PT10S")
    assert time.monotonic() - started < 2
    (message,) = messages
    tt = message.find(f"{{{WSNT}}}Message/{{{TT}}}Message")
    assert tt is not None
    assert tt.get("PropertyOperation") == "Changed"
    assert message.findtext(qname(WSNT, "Topic")) == "tns1:Device/Trigger/DigitalInput"
    item = tt.find(f"{{{TT}}}Source/{{{TT}}}SimpleItem")
    assert item is not None and item.get("Value") == "tamper"


async def test_message_limit_and_timeout_are_honoured(served: Served) -> None:
    address = await create_pullpoint(served, "PT60S", "tns1:Device/Trigger/DigitalInput")
    await pull(address)
    for i in range(5):
        served.device.set_input("call-button", i % 2 == 0)
    assert len(await pull(address, limit=3)) == 3
    assert len(await pull(address, limit=3)) == 2
    started = time.monotonic()
    assert await pull(address, timeout="PT0.5S") == []
    assert 0.4 < time.monotonic() - started < 2


async def test_unsubscribe_ends_a_waiting_pull(served: Served) -> None:
    address = await create_pullpoint(served, "PT60S")
    await pull(address)
    waiting = asyncio.create_task(pull(address, timeout="PT30S"))
    await asyncio.sleep(0.2)
    answer = await call(address, element(WSNT, "Unsubscribe"), ADMIN, ADMIN_PW)
    assert answer.status == 200
    assert await asyncio.wait_for(waiting, 2) == []


@pytest_asyncio.fixture
async def consumer() -> AsyncIterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    async def notify(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/notify", notify)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/notify", received
    finally:
        await runner.cleanup()


async def subscribe(served: Served, consumer_url: str, termination: str = "PT60S") -> str:
    req = element(WSNT, "Subscribe")
    ref = etree.SubElement(req, qname(WSNT, "ConsumerReference"))
    etree.SubElement(ref, qname(WSA, "Address")).text = consumer_url
    etree.SubElement(req, qname(WSNT, "InitialTerminationTime")).text = termination
    answer = await call(f"{served.hosted.base_url}/onvif/events_service", req, ADMIN, ADMIN_PW)
    assert answer.status == 200, etree.tostring(answer.body)
    address = answer.body.findtext(ADDRESS)
    assert address is not None
    return address


async def test_base_notification_posts_notify_to_the_consumer(
    served: Served, consumer: tuple[str, list[bytes]]
) -> None:
    url, received = consumer
    await subscribe(served, url)
    served.device.set_input("call-button", True)
    for _ in range(50):
        if any(b"Changed" in r for r in received):
            break
        await asyncio.sleep(0.05)
    bodies = [parse_envelope(r).body for r in received]
    assert all(b is not None and b.tag == qname(WSNT, "Notify") for b in bodies)
    operations = [
        m.get("PropertyOperation")
        for b in bodies
        if b is not None
        for m in b.iter(qname(TT, "Message"))
    ]
    assert "Initialized" in operations
    assert operations[-1] == "Changed"


async def test_dead_notify_consumer_does_not_block_the_device(served: Served) -> None:
    # A consumer that accepts connections and never answers: the worst case.
    async with HangingServer() as port:
        await subscribe(served, f"http://127.0.0.1:{port}/notify")
        (sub,) = list(served.device.events.table)
        started = time.monotonic()
        for i in range(MAX_QUEUED_MESSAGES + 50):
            served.device.set_input("call-button", i % 2 == 0)
        assert time.monotonic() - started < 0.5
        # The device still answers while its consumer hangs.
        answer = await asyncio.wait_for(
            call(served.hosted.device_service_url, element(TDS, "GetSystemDateAndTime")), 2
        )
        assert answer.status == 200
        assert len(sub.queue) <= MAX_QUEUED_MESSAGES
        assert sub.dropped >= 50
        await served.host.close()  # ends the hanging POST before the consumer goes


async def test_many_devices_under_path_prefixes_on_one_port() -> None:
    host = DeviceHost()
    try:
        hosted = [
            await host.add(VirtualDevice(ptz_intercom(f"dev-{i}")), port=None) for i in range(20)
        ]
        assert len({h.base_url.split("/devices/")[0] for h in hosted}) == 1
        for h in hosted[::7]:
            answer = await call(h.device_service_url, element(TDS, "GetHostname"))
            assert answer.body.findtext(".//{http://www.onvif.org/ver10/schema}Name") == h.device_id
    finally:
        await host.close()


async def test_close_ends_pending_long_polls_quickly() -> None:
    host = DeviceHost()
    device = VirtualDevice(ptz_intercom())
    served = Served(host, device, await host.add(device))
    address = await create_pullpoint(served, "PT60S")
    await pull(address)
    waiting = asyncio.create_task(pull(address, timeout="PT50S"))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await host.close()
    assert time.monotonic() - started < 2
    assert await asyncio.wait_for(waiting, 2) == []


async def test_notify_consumer_that_comes_back_receives_again(served: Served) -> None:
    # Reserve a port with nothing listening: the consumer is down at first.
    probe = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    await subscribe(served, f"http://127.0.0.1:{port}/notify")
    (sub,) = list(served.device.events.table)
    for _ in range(100):
        if sub.dropped:
            break
        await asyncio.sleep(0.02)
    assert sub.dropped > 0  # the Initialized batch could not be delivered
    received: list[bytes] = []

    async def notify(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response()

    app = web.Application()
    app.router.add_post("/notify", notify)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        served.device.set_input("tamper", True)
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        assert any(b"tamper" in r and b"Changed" in r for r in received)
        assert served.host.notifier.stats.failed_posts >= 1
    finally:
        await runner.cleanup()


async def test_hanging_consumers_do_not_starve_a_healthy_one(
    consumer: tuple[str, list[bytes]],
) -> None:
    # 8 consumer ports that accept and never answer, 120 subscriptions to them (more than
    # aiohttp's default pool of 100), then one healthy consumer: it must still get Notify
    # well before the hanging POSTs time out.
    servers = [HangingServer() for _ in range(8)]
    ports = [await server.__aenter__() for server in servers]
    host = DeviceHost()
    try:
        devices = [VirtualDevice(ptz_intercom(f"busy-{i}")) for i in range(4)]
        for device in devices:
            served = Served(host, device, await host.add(device, port=None))
            for j in range(30):
                await subscribe(served, f"http://127.0.0.1:{ports[j % 8]}/notify")
        healthy_device = VirtualDevice(ptz_intercom("healthy"))
        healthy = Served(host, healthy_device, await host.add(healthy_device, port=None))
        await asyncio.sleep(0.3)  # the Initialized batches are now hanging
        url, received = consumer
        started = time.monotonic()
        await subscribe(healthy, url)
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        assert received
        assert time.monotonic() - started < 1.5
    finally:
        await host.close()
        for server in servers:
            await server.__aexit__(None, None, None)


async def test_a_poller_that_hangs_up_loses_no_messages(served: Served) -> None:
    # A VMS whose HTTP timeout is shorter than its PullMessages Timeout drops the
    # connection; whatever arrives afterwards must wait for its next pull, not vanish.
    address = await create_pullpoint(served, "PT60S", "tns1:Device/Trigger/DigitalInput")
    await pull(address)
    abandoned = asyncio.create_task(pull(address, timeout="PT5S"))
    await asyncio.sleep(0.2)
    abandoned.cancel()  # closes the client connection mid-poll
    with contextlib.suppress(asyncio.CancelledError):
        await abandoned
    await asyncio.sleep(0.2)
    served.device.set_input("tamper", True)
    await asyncio.sleep(0.2)
    messages = await pull(address, timeout="PT1S")
    assert len(messages) == 1


async def test_subscription_table_is_bounded_per_device(served: Served) -> None:
    addresses = [await create_pullpoint(served, "PT60S") for _ in range(MAX_SUBSCRIPTIONS)]
    refused = await call(
        f"{served.hosted.base_url}/onvif/events_service",
        args(TEV, "CreatePullPointSubscription", InitialTerminationTime="PT60S"),
        ADMIN,
        ADMIN_PW,
    )
    assert refused.status == 500
    assert b"TooManySubscriptions" in etree.tostring(refused.body)
    await call(addresses[0], element(WSNT, "Unsubscribe"), ADMIN, ADMIN_PW)
    assert await create_pullpoint(served, "PT60S")
    assert len(served.device.events.table) == MAX_SUBSCRIPTIONS
