"""OnvifDevice and the transport against a fake device on 127.0.0.1 (real HTTP)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from aiohttp import web

from callpoint.onvif.client import OnvifDevice, device_url
from callpoint.onvif.errors import (
    NotAuthorizedFault,
    RemoteProtocolError,
    TransportError,
)
from callpoint.onvif.namespaces import TEV, TPTZ, TRT
from callpoint.onvif.transport import SoapHttp

from .fakedevice import FakeDevice, wsa_header
from .rawserver import raw_server


class Running:
    def __init__(self, fake: FakeDevice, runner: web.AppRunner, port: int) -> None:
        self.fake, self.runner, self.port = fake, runner, port
        self.base = f"http://127.0.0.1:{port}"


async def start(fake: FakeDevice) -> Running:
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.base = f"http://127.0.0.1:{port}"
    return Running(fake, runner, port)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[SoapHttp]:
    async with SoapHttp() as h:
        yield h


async def make(fake: FakeDevice, http: SoapHttp, **kw: object) -> tuple[Running, OnvifDevice]:
    running = await start(fake)
    dev = OnvifDevice(
        f"127.0.0.1:{running.port}",
        fake.user,
        fake.password,
        http=http,
        timeout_s=5,
        **kw,  # type: ignore[arg-type]  # test helper passes keyword options through
    )
    return running, dev


@pytest.mark.asyncio
async def test_add_camera_flow_with_clock_an_hour_fast(http: SoapHttp) -> None:
    # The device checks UsernameToken against its own clock with 5 s tolerance: this only
    # passes if the client measured and applied the offset.
    running, dev = await make(FakeDevice(clock_offset_s=3600.0), http)
    try:
        await dev.connect()
        assert 3598 <= dev.clock_offset_s <= 3602
        assert dev.has_service(TRT) and dev.has_service(TPTZ) and dev.has_service(TEV)
        # XAddrs advertised with a NAT address are rebased onto the address we used.
        assert dev.xaddr(TRT) == f"{running.base}/onvif/media"
        info = await dev.device_information()
        assert info.manufacturer == "Fake" and info.serial_number == "42"
        (profile,) = await dev.profiles()
        uri = await dev.stream_uri(profile.token)
        assert uri.uri == "rtsp://10.9.8.7/main" and uri.timeout_s == 0
        await dev.goto_preset(profile.token, "1")
        first = running.fake.received[0][1]
        assert first.headers == ()  # GetSystemDateAndTime went unauthenticated
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_without_offset_the_same_device_refuses(http: SoapHttp) -> None:
    running, dev = await make(FakeDevice(clock_offset_s=3600.0), http)
    try:
        with pytest.raises(NotAuthorizedFault):
            await dev.device_information()  # no connect(): offset unknown, token stale
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_device_that_wants_auth_for_date_and_time(http: SoapHttp) -> None:
    running, dev = await make(FakeDevice(auth_for_date=True, clock_offset_s=-2.0), http)
    try:
        sdt = await dev.sync_clock()
        assert sdt.utc is not None
        assert -4 <= dev.clock_offset_s <= 0
        assert len(running.fake.received) == 2  # refused once, then answered with auth
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_digest_only_device(http: SoapHttp) -> None:
    running, dev = await make(FakeDevice(digest=True), http)
    try:
        await dev.connect()
        assert dev.session.uses_digest
        info = await dev.device_information()
        assert info.model == "FD-1"
        # After the first challenge, credentials go out pre-emptively: one request per call.
        before = len(running.fake.received)
        await dev.device_information()
        assert len(running.fake.received) == before + 1
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_digest_with_wrong_password_is_not_authorized(http: SoapHttp) -> None:
    running = await start(FakeDevice(digest=True))
    dev = OnvifDevice(running.base + "/onvif/device_service", "admin", "nope", http=http)
    try:
        with pytest.raises(NotAuthorizedFault, match="401"):
            await dev.device_information()
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_get_capabilities_fallback(http: SoapHttp) -> None:
    running, dev = await make(FakeDevice(get_services=False), http)
    try:
        await dev.connect()
        assert dev.xaddr(TRT) == f"{running.base}/onvif/media"
        assert dev.services[TEV].capabilities["WSPullPointSupport"] == "true"
        ops = [
            str(e.body.tag).rpartition("}")[2]
            for _, e in running.fake.received
            if e.body is not None
        ]
        assert ops == ["GetSystemDateAndTime", "GetServices", "GetServices", "GetCapabilities"]
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_pull_point_lifecycle_sends_wsa_headers(http: SoapHttp) -> None:
    running, dev = await make(FakeDevice(), http)
    try:
        await dev.connect()
        sub = await dev.create_pull_point(60.0, "tns1:Device/Trigger/DigitalInput")
        assert sub.address == "http://10.9.8.7/sub/7" and len(sub.reference_parameters) == 1
        pulled = await dev.pull_messages(sub, 1.0, 10)
        assert pulled.messages[0].message.item("LogicalState") == "true"
        renewed = await dev.renew(sub, 120.0)
        assert renewed.termination_time is not None and renewed.current_time is not None
        assert (renewed.termination_time - renewed.current_time) == timedelta(seconds=120)
        await dev.unsubscribe(sub)
        path, env = running.fake.received[-2]
        assert path == "/sub/7"
        assert wsa_header(env, "To") == "http://10.9.8.7/sub/7"
        assert wsa_header(env, "Action") == (
            "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest"
        )
        ref = next(h for h in env.headers if h.tag == "{urn:fake}SubId")
        assert ref.text == "7"
        assert ref.get("{http://www.w3.org/2005/08/addressing}IsReferenceParameter") == "true"
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_oversize_reply_is_refused(http: SoapHttp) -> None:
    running, dev = await make(FakeDevice(big_reply=True), http)
    try:
        await dev.connect()
        with pytest.raises(RemoteProtocolError, match="exceeds"):
            await dev.device_information()
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_html_instead_of_soap_is_a_remote_error(http: SoapHttp) -> None:
    fake = FakeDevice()
    running, dev = await make(fake, http)
    try:
        await dev.connect()
        fake.html_reply = True
        with pytest.raises(RemoteProtocolError, match="GetDeviceInformation"):
            await dev.device_information()
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_unreachable_device_is_a_transport_error(http: SoapHttp) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dev = OnvifDevice(f"127.0.0.1:{port}", "a", "b", http=http, timeout_s=2)
    with pytest.raises(TransportError):
        await dev.connect()


@pytest.mark.asyncio
async def test_silent_device_times_out() -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(5)

    async with raw_server(swallow) as port, SoapHttp() as http:
        dev = OnvifDevice(f"127.0.0.1:{port}", http=http, timeout_s=0.3)
        started = datetime.now(UTC)
        with pytest.raises(TransportError, match="within"):
            await dev.sync_clock()
        assert (datetime.now(UTC) - started).total_seconds() < 2


def test_device_url_forms() -> None:
    assert device_url("10.0.0.1") == "http://10.0.0.1/onvif/device_service"
    assert device_url("10.0.0.1:8080") == "http://10.0.0.1:8080/onvif/device_service"
    assert device_url("https://cam/onvif/device_service") == "https://cam/onvif/device_service"


@pytest.mark.asyncio
async def test_get_services_without_capabilities_when_the_flag_faults(http: SoapHttp) -> None:
    running, dev = await make(FakeDevice(services_caps_fault=True), http)
    try:
        await dev.connect()
        assert dev.has_service(TPTZ)
        flags = [
            e.body.findtext("{*}IncludeCapability")
            for _, e in running.fake.received
            if e.body is not None and e.body.tag.endswith("GetServices")
        ]
        assert flags == ["true", "false"]
    finally:
        await running.runner.cleanup()


@pytest.mark.asyncio
async def test_base_notification_subscribe_then_notify_reaches_us(http: SoapHttp) -> None:
    from pathlib import Path

    import aiohttp

    from callpoint.onvif.consumer import notify_app
    from callpoint.onvif.eventmap import DEFAULT_RULES, map_event
    from callpoint.onvif.notification import NotificationMessage

    got: list[tuple[str, tuple[NotificationMessage, ...]]] = []

    async def on_notify(key: str, messages: tuple[NotificationMessage, ...]) -> None:
        got.append((key, messages))

    consumer = web.AppRunner(notify_app(on_notify), access_log=None)
    await consumer.setup()
    await web.TCPSite(consumer, "127.0.0.1", 0).start()
    notify_url = f"http://127.0.0.1:{consumer.addresses[0][1]}/onvif/notify/gate-1"
    running, dev = await make(FakeDevice(), http)
    try:
        await dev.connect()
        sub = await dev.subscribe(
            notify_url, 60.0, "tns1:Door/State/DoorAlarm|tns1:Device/Trigger/DigitalInput"
        )
        assert sub.address == "http://10.9.8.7/sub/9"
        assert running.fake.consumers == [notify_url]
        # The device now notifies the consumer it was given.
        fixture = Path(__file__).parent.parent / "fixtures" / "onvif"
        body = (fixture / "spec_doorstation_Notify_door.xml").read_bytes()
        async with aiohttp.ClientSession() as s, s.post(running.fake.consumers[0], data=body) as r:
            assert r.status == 200
        ((key, messages),) = got
        assert key == "gate-1"
        mapped = map_event(DEFAULT_RULES, messages[0])
        assert mapped is not None and mapped.event_type == "door_forced"
    finally:
        await running.runner.cleanup()
        await consumer.cleanup()


@pytest.mark.asyncio
async def test_digest_even_for_date_and_time(http: SoapHttp) -> None:
    running, dev = await make(FakeDevice(digest=True, auth_for_date=True, clock_offset_s=30), http)
    try:
        await dev.connect()
        assert dev.session.uses_digest and 28 <= dev.clock_offset_s <= 32
        assert (await dev.device_information()).model == "FD-1"
    finally:
        await running.runner.cleanup()
