"""The per-call fast paths give the same results as the general ones they short-cut.

Whole-response parsing against the incremental parser, template bytes against elements,
the cached created time against format_created, and the HTTP client's own timer and
per-host slots against timeouts, split replies and cancellation.
"""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from callpoint.codecs.http11 import ResponseParser, parse_response
from callpoint.codecs.soap import build_envelope, build_envelope_bytes, parse_envelope
from callpoint.onvif import device, deviceio, events, httpclient, media
from callpoint.onvif.errors import RemoteProtocolError, TransportError
from callpoint.onvif.httpclient import MAX_ACTIVE_PER_HOST, HttpClient
from callpoint.onvif.namespaces import TDS, TR2, WSSE, WSU, qname
from callpoint.onvif.security import (
    created_now,
    format_created,
    username_token_now,
    username_token_xml,
    verify_username_token,
)
from callpoint.onvif.xmlutil import make
from tests.support.peers import UVLOOP, needs

from .rawserver import raw_server, read_body
from .test_http11 import BODY, CHUNKED, CLOSE_DELIMITED, SIMPLE

# --- whole-response parsing ---------------------------------------------------------


def incremental(data: bytes) -> object:
    p = ResponseParser()
    p.feed(data)
    return p.response


@pytest.mark.parametrize(
    "data",
    [
        SIMPLE,
        SIMPLE.replace(b"200 OK\r\n", b"200 OK\r\nConnection: close\r\n"),
        SIMPLE.replace(b"HTTP/1.1", b"HTTP/1.0"),
        SIMPLE.replace(b"HTTP/1.1", b"HTTP/1.0").replace(
            b"200 OK\r\n", b"200 OK\r\nConnection: keep-alive\r\n"
        ),
        b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n",
        b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="r"\r\n'
        b'WWW-Authenticate: Basic realm="r"\r\nContent-Length: 0\r\n\r\n',
    ],
)
def test_whole_response_parses_as_the_incremental_parser_does(data: bytes) -> None:
    fast = parse_response(data)
    assert fast is not None
    assert fast == incremental(data)


@pytest.mark.parametrize(
    "data",
    [
        CHUNKED,
        CLOSE_DELIMITED,
        b"HTTP/1.1 100 Continue\r\n\r\n" + SIMPLE,
        SIMPLE + b"HTTP/1.1 200",  # bytes past the response: left to the parser
        *(SIMPLE[:i] for i in range(0, len(SIMPLE), 7)),  # not complete yet
    ],
)
def test_whole_response_declines_what_only_the_parser_handles(data: bytes) -> None:
    assert parse_response(data) is None


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200) | st.sampled_from([SIMPLE, CHUNKED]).map(lambda b: b[:150]))
def test_whole_response_agrees_with_the_parser_on_any_bytes(data: bytes) -> None:
    try:
        fast = parse_response(data, max_body=1000)
    except RemoteProtocolError:
        with pytest.raises(RemoteProtocolError):
            ResponseParser(max_body=1000).feed(data)
        return
    if fast is not None:
        assert fast == incremental(data)


# --- request templates --------------------------------------------------------------

WHEN = datetime(2026, 11, 21, 7, 0, 0, 250000, tzinfo=UTC)

SHARED = {
    "GetSystemDateAndTime": (
        device.get_system_date_and_time,
        make(f"{{{TDS}}}GetSystemDateAndTime"),
    ),
    "GetDeviceInformation": (device.get_device_information, make(f"{{{TDS}}}GetDeviceInformation")),
    "GetScopes": (device.get_scopes, make(f"{{{TDS}}}GetScopes")),
    "GetServices": (
        device.get_services,
        make(f"{{{TDS}}}GetServices", make(f"{{{TDS}}}IncludeCapability", text="true")),
    ),
    "GetCapabilities": (
        device.get_capabilities,
        make(f"{{{TDS}}}GetCapabilities", make(f"{{{TDS}}}Category", text="All")),
    ),
    "tr2:GetProfiles": (
        lambda: media.get_profiles(media2=True),
        make(f"{{{TR2}}}GetProfiles", make(f"{{{TR2}}}Type", text="All")),
    ),
    "tmd:GetRelayOutputs": (deviceio.get_relay_outputs, make(f"{{{TDS}}}GetRelayOutputs")),
}


@pytest.mark.parametrize("name", list(SHARED))
def test_shared_request_bytes_equal_the_element_built_request(name: str) -> None:
    builder, element = SHARED[name]
    req = builder()
    assert req is builder() or req.xml == builder().xml
    assert req.xml == etree.tostring(element)
    assert req.operation == etree.QName(element).localname
    token = username_token_xml("admin", "pw", WHEN, b"\x01" * 16)
    assert build_envelope_bytes(req.xml, token) == build_envelope(element, [token])


@pytest.mark.parametrize(
    "req",
    [
        media.get_stream_uri("prof1"),
        events.pull_messages(10, 100),
        device.set_relay_output_state("relay0", True),
    ],
    ids=lambda r: r.operation,
)
def test_envelope_from_bytes_equals_envelope_from_elements(req: object) -> None:
    from callpoint.onvif.request import Request

    assert isinstance(req, Request)
    token = username_token_xml("u", "p", WHEN)
    assert build_envelope_bytes(req.xml, token) == build_envelope(req.body, [token])


def test_changing_a_shared_body_changes_nothing_sent_later() -> None:
    body = device.get_device_information().body
    body.append(make(f"{{{TDS}}}Injected"))
    again = device.get_device_information()
    assert b"Injected" not in again.xml
    assert len(again.body) == 0


# --- WS-UsernameToken ---------------------------------------------------------------


@pytest.mark.parametrize("offset_s", [0.0, 3600.0, -2.5, 0.0004])
@pytest.mark.parametrize(
    "when",
    [
        WHEN,
        WHEN.replace(microsecond=999999),
        WHEN.replace(hour=23, minute=59, second=59, microsecond=999000),
        datetime(2027, 1, 1, tzinfo=UTC),
    ],
)
def test_created_now_writes_what_format_created_writes(when: datetime, offset_s: float) -> None:
    ns = int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000
    shifted = when + timedelta(microseconds=int(offset_s * 1e6))
    assert created_now(offset_s, ns).decode() == format_created(shifted)


def test_created_now_follows_the_clock_across_seconds() -> None:
    base = int(WHEN.timestamp()) * 1_000_000_000
    texts = [created_now(0.0, base + k * 250_000_000).decode() for k in range(9)]
    assert texts[0] == "2026-11-21T07:00:00.000Z"
    assert texts[3] == "2026-11-21T07:00:00.750Z"
    assert texts[4] == "2026-11-21T07:00:01.000Z"
    assert texts[8] == "2026-11-21T07:00:02.000Z"
    assert created_now(0.0, base).decode() == texts[0]  # back again: no stale cache


def test_token_now_equals_the_template_token_and_verifies() -> None:
    nonce = b"\x42" * 16
    fast = username_token_now('a<&>"b', "s3cret", 0.0, nonce)
    created = etree.fromstring(fast).findtext(f".//{qname(WSU, 'Created')}")
    assert created is not None
    at = datetime.fromisoformat(created.replace("Z", "+00:00"))
    assert fast == username_token_xml('a<&>"b', "s3cret", at, nonce)
    env = parse_envelope(build_envelope_bytes(b"<x/>", username_token_now("admin", "s3cret")))
    assert verify_username_token(env.headers, {"admin": "s3cret"}.get, datetime.now(UTC)) == "admin"
    nonces = {
        etree.fromstring(username_token_now("admin", "pw")).findtext(f".//{qname(WSSE, 'Nonce')}")
        for _ in range(50)
    }
    assert len(nonces) == 50
    assert all(n and len(base64.b64decode(n)) == 16 for n in nonces)


# --- the HTTP client's timer, slots and split replies -------------------------------


class CountingParser(ResponseParser):
    made = 0

    def __init__(self, max_body: int = 4 * 1024 * 1024) -> None:
        super().__init__(max_body)
        CountingParser.made += 1


@pytest.mark.asyncio
async def test_reply_in_one_read_or_split_across_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpclient, "ResponseParser", CountingParser)
    CountingParser.made = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            body = await read_body(reader)
            if body == b"whole":
                writer.write(SIMPLE)
            else:  # head, then the body in three pieces, each flushed apart
                cut = SIMPLE.index(b"\r\n\r\n") + 4
                for part in (SIMPLE[:cut], SIMPLE[cut : cut + 5], SIMPLE[cut + 5 :]):
                    writer.write(part)
                    await writer.drain()
                    await asyncio.sleep(0.01)
            await writer.drain()

    client = HttpClient()
    async with raw_server(handle) as port:
        url = f"http://127.0.0.1:{port}/x"
        try:
            assert (await client.post(url, {}, b"whole", 5)).body == BODY
            assert CountingParser.made == 0  # one read, no parser object
            split = await client.post(url, {}, b"split", 5)
            assert split.body == BODY and split.status == 200
            assert CountingParser.made == 1
            assert (await client.post(url, {}, b"whole", 5)).body == BODY  # still reusable
        finally:
            await client.close()


@pytest.mark.asyncio
async def test_timeout_fires_and_the_connection_is_not_reused() -> None:
    accepted = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        while True:
            if await read_body(reader) == b"ok":
                writer.write(SIMPLE)
                await writer.drain()
            # anything else: never answered

    client = HttpClient()
    async with raw_server(handle) as port:
        url = f"http://127.0.0.1:{port}/x"
        try:
            assert (await client.post(url, {}, b"ok", 5)).body == BODY
            with pytest.raises(TransportError, match=r"no answer .* within 0\.2 s"):
                await client.post(url, {}, b"hang", 0.2)
            assert (await client.post(url, {}, b"ok", 5)).body == BODY
            assert accepted == 2  # the timed-out connection was dropped, not reused
        finally:
            await client.close()


@pytest.mark.asyncio
async def test_slot_waits_time_out_and_slots_are_not_lost() -> None:
    together = 0
    all_in = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal together
        while True:
            body = await read_body(reader)
            if body == b"hang":
                continue  # never answered
            if body == b"together":
                # Answered only once MAX_ACTIVE_PER_HOST of these are in at once.
                together += 1
                if together == MAX_ACTIVE_PER_HOST:
                    all_in.set()
                await all_in.wait()
            writer.write(SIMPLE)
            await writer.drain()

    client = HttpClient()
    async with raw_server(handle) as port:
        url = f"http://127.0.0.1:{port}/x"
        try:
            hanging = [
                asyncio.create_task(client.post(url, {}, b"hang", 1.0))
                for _ in range(MAX_ACTIVE_PER_HOST)
            ]
            await asyncio.sleep(0.05)
            # Every slot is taken: this one waits in line and gives up first.
            with pytest.raises(TransportError, match=r"within 0\.1 s"):
                await client.post(url, {}, b"ok", 0.1)
            # A queued caller that is cancelled gives up its place...
            cancelled = asyncio.create_task(client.post(url, {}, b"ok", 5))
            await asyncio.sleep(0.01)
            cancelled.cancel()
            # ...and one still waiting gets a slot once the hanging exchanges time out.
            waiting = asyncio.create_task(client.post(url, {}, b"ok", 5))
            for t in hanging:
                with pytest.raises(TransportError, match="no answer"):
                    await t
            with pytest.raises(asyncio.CancelledError):
                await cancelled
            assert (await waiting).body == BODY
            # Every slot came back: MAX_ACTIVE_PER_HOST exchanges still run side by side
            # (the server answers none of them until all are in).
            batch = [client.post(url, {}, b"together", 5) for _ in range(MAX_ACTIVE_PER_HOST)]
            assert all(r.body == BODY for r in await asyncio.gather(*batch))
        finally:
            await client.close()


# --- the watchdog that times replies ------------------------------------------------


async def _hang_or_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer "ok" at once, "late" after 0.3 s, never anything else."""
    while True:
        body = await read_body(reader)
        if body == b"late":
            await asyncio.sleep(0.3)
        if body in (b"ok", b"late"):
            writer.write(SIMPLE)
            await writer.drain()


async def _deadlines_in_any_order() -> list[str]:
    """What each call came to, in order; the checks are the callers'."""
    client = HttpClient()
    seen: list[str] = []
    async with raw_server(_hang_or_answer) as port:
        url = f"http://127.0.0.1:{port}/x"
        try:
            # The watchdog is armed for this call's deadline; the call ends well before.
            seen.append(
                "answered" if (await client.post(url, {}, b"ok", 0.1)).body == BODY else "?"
            )
            # Later deadline: it waits for the first one's, finds nothing due, re-arms.
            try:
                await client.post(url, {}, b"hang", 0.3)
                seen.append("answered")
            except TransportError as exc:
                seen.append("timed out" if "no answer" in str(exc) else str(exc))
            # A long call in flight, then a short one: the watchdog moves earlier, fails
            # the short one only, and the long one still gets its (late) reply.
            long = asyncio.create_task(client.post(url, {}, b"late", 5))
            await asyncio.sleep(0.01)
            try:
                await client.post(url, {}, b"hang", 0.1)
                seen.append("answered")
            except TransportError as exc:
                seen.append("timed out" if "no answer" in str(exc) else str(exc))
            seen.append("answered late" if (await long).body == BODY else "?")
        finally:
            await client.close()
    return seen


EXPECTED_DEADLINES = ["answered", "timed out", "timed out", "answered late"]


@pytest.mark.asyncio
async def test_deadlines_fire_whatever_order_they_come_in() -> None:
    assert await _deadlines_in_any_order() == EXPECTED_DEADLINES


@needs(UVLOOP)
def test_deadlines_fire_under_uvloop() -> None:
    import uvloop

    assert uvloop.run(_deadlines_in_any_order()) == EXPECTED_DEADLINES


def test_one_client_times_out_on_a_later_event_loop() -> None:
    client = HttpClient()
    bye = SIMPLE.replace(b"200 OK\r\n", b"200 OK\r\nConnection: close\r\n")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await read_body(reader) == b"bye":
            writer.write(bye)
            await writer.drain()
        await reader.read()  # anything else: never answered

    async def first() -> None:
        async with raw_server(handle) as port:
            # Leaves the watchdog armed for 0.5 s ahead, on a loop about to end, and no
            # idle connection (the device closed it).
            assert (await client.post(f"http://127.0.0.1:{port}/x", {}, b"bye", 0.5)).body == BODY

    async def second() -> None:
        async with raw_server(handle) as port:
            # Its deadline is later than the stale one: only noticing the new loop re-arms.
            with pytest.raises(TransportError, match="no answer"):
                await asyncio.wait_for(client.post(f"http://127.0.0.1:{port}/x", {}, b"x", 1.0), 5)
            await client.close()

    asyncio.run(first())
    time.sleep(0.6)
    asyncio.run(second())


@pytest.mark.asyncio
async def test_closing_the_client_leaves_calls_in_flight_timed() -> None:
    client = HttpClient()
    async with raw_server(_hang_or_answer) as port:
        call = asyncio.create_task(client.post(f"http://127.0.0.1:{port}/x", {}, b"hang", 0.2))
        await asyncio.sleep(0.05)
        await client.close()
        with pytest.raises(TransportError, match="no answer"):
            await asyncio.wait_for(call, 5)
