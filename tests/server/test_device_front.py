"""The listening port's device front, over raw sockets: what it serves, what it hands over."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from callpoint import httpguard
from callpoint.ingress import device_http
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from tests.conftest import API_TOKEN, WEBHOOK_SECRET
from tests.server.conftest import Live

pytestmark = pytest.mark.asyncio

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(live: Live) -> Conn:
    host, port = live.url.removeprefix("http://").rsplit(":", 1)
    return await asyncio.open_connection(host, int(port))


@pytest_asyncio.fixture
async def conn(live: Live) -> AsyncIterator[Conn]:
    reader, writer = await connect(live)
    yield reader, writer
    writer.close()


def event_request(
    device: str = "EXPH-03",
    type_: str = "off_hook",
    *,
    extra: tuple[str, ...] = (),
    event_id: str | None = None,
) -> bytes:
    body = event_body(device, type_, utc_now(), event_id=event_id)
    headers = signed_headers(WEBHOOK_SECRET, body, utc_now())
    lines = [
        "POST /api/v1/events HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-type"),
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_reply(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], Any]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status_line, *lines = head.decode().split("\r\n")[:-2]
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    body = await reader.readexactly(int(headers["content-length"]))
    is_json = headers.get("content-type", "").startswith("application/json")
    return int(status_line.split()[1]), headers, json.loads(body) if is_json else body


async def stored_events(live: Live) -> list[str]:
    return [e["id"] for e in (await live.get("/api/v1/events"))["events"]]


async def test_pipelined_posts_are_answered_in_order_on_the_front(live: Live, conn: Conn) -> None:
    reader, writer = conn
    writer.write(
        event_request(event_id="a")
        + event_request("EXPH-03", "sos", event_id="b")
        + event_request(event_id="c")
    )
    replies = [await read_reply(reader) for _ in range(3)]
    assert [r[0] for r in replies] == [202, 202, 202]
    assert [r[2]["event_id"] for r in replies] == ["EXPH-03:a", "EXPH-03:b", "EXPH-03:c"]
    assert all("date" in r[1] and r[1]["content-type"] == "application/json" for r in replies)
    assert live.server.front is not None
    assert live.server.front.served == 3 and live.server.front.handed_over == 0
    front = (await live.get("/healthz"))["http_front"]  # on a connection of its own
    assert front == {"connections": 1, "served": 3, "handed_over": 1}


async def test_a_post_dribbled_byte_by_byte_is_accepted(live: Live, conn: Conn) -> None:
    reader, writer = conn
    for byte in event_request(event_id="slow"):
        writer.write(bytes([byte]))
        await writer.drain()
    status, _, body = await read_reply(reader)
    assert status == 202 and body["event_id"] == "EXPH-03:slow"


async def test_another_request_on_the_same_connection_goes_to_the_full_server(
    live: Live, conn: Conn
) -> None:
    reader, writer = conn
    get = f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {API_TOKEN}\r\n\r\n"
    # Sent together: the event is answered here, then the GET is handed over unread.
    writer.write(event_request(event_id="first") + get.encode())
    status, _, body = await read_reply(reader)
    assert status == 202
    status, _, listing = await read_reply(reader)
    assert status == 200
    assert [e["id"] for e in listing["events"]] == ["EXPH-03:first"]
    assert live.server.front is not None and live.server.front.handed_over == 1
    # The connection stays with the full server, which serves event posts too.
    writer.write(event_request(event_id="after"))
    status, _, body = await read_reply(reader)
    assert status == 202 and body["event_id"] == "EXPH-03:after"
    assert live.server.front.served == 1


@pytest.mark.parametrize(
    ("shape", "transform"),
    [
        ("chunked", lambda req: chunked(req)),
        ("expect", lambda req: add_header(req, "Expect: 100-continue")),
    ],
)
async def test_other_shapes_of_event_post_are_accepted_by_the_full_server(
    live: Live, conn: Conn, shape: str, transform: Any
) -> None:
    reader, writer = conn
    writer.write(transform(event_request(event_id=shape)))
    if shape == "expect":
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 100")
    status, _, body = await read_reply(reader)
    assert status == 202, body
    assert live.server.front is not None and live.server.front.handed_over == 1
    assert await stored_events(live) == [f"EXPH-03:{shape}"]


def add_header(req: bytes, line: str) -> bytes:
    return req.replace(b"\r\n\r\n", f"\r\n{line}\r\n\r\n".encode(), 1)


def chunked(req: bytes) -> bytes:
    head, _, body = req.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"content-length")]
    half = len(body) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:]))
    head = b"\r\n".join([*lines, b"Transfer-Encoding: chunked"])
    return head + b"\r\n\r\n" + chunks + b"0\r\n\r\n"


async def test_a_malformed_head_is_refused_by_the_full_server_and_stores_nothing(
    live: Live, conn: Conn
) -> None:
    reader, writer = conn
    writer.write(event_request(event_id="bad").replace(b"Content-Length:", b"Content-Length :"))
    status, _, _ = await read_reply(reader)
    assert status == 400
    assert await stored_events(live) == []


async def test_a_body_over_the_limit_is_refused_with_413(live: Live, conn: Conn) -> None:
    reader, writer = conn
    limit = live.server.site.config.webhook.max_body_bytes
    body = b'{"device":"EXPH-03","pad":"' + b"x" * limit + b'"}'
    writer.write(
        b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )
    status, _, reply = await read_reply(reader)
    assert status == 413 and reply["error"] == "body too large"


async def test_refusals_on_the_front_keep_the_connection(live: Live, conn: Conn) -> None:
    reader, writer = conn
    unsigned = event_request(event_id="x").replace(b"webhook-signature", b"x-nothing")
    writer.write(unsigned)
    status, _, reply = await read_reply(reader)
    assert status == 401 and reply["error"] == "unauthorized"
    writer.write(event_request("NO-SUCH-PHONE", "sos"))
    status, _, reply = await read_reply(reader)
    assert status == 422 and reply["error"] == "unknown"
    writer.write(event_request(event_id="ok"))
    status, _, _ = await read_reply(reader)
    assert status == 202
    assert live.server.front is not None and live.server.front.handed_over == 0


async def test_connection_close_is_honoured(live: Live, conn: Conn) -> None:
    reader, writer = conn
    writer.write(event_request(event_id="bye", extra=("Connection: close",)))
    status, headers, _ = await read_reply(reader)
    assert status == 202 and headers["connection"] == "close"
    assert await asyncio.wait_for(reader.read(), 5) == b""


async def test_the_event_stands_when_the_sender_leaves_before_the_reply(
    live: Live, conn: Conn
) -> None:
    _, writer = conn
    writer.write(event_request(event_id="gone"))
    await writer.drain()
    writer.close()
    for _ in range(200):
        if await stored_events(live) == ["EXPH-03:gone"]:
            break
        await asyncio.sleep(0.01)
    assert await stored_events(live) == ["EXPH-03:gone"]


async def test_idle_and_unfinished_connections_are_closed(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(device_http, "KEEPALIVE_S", 0.3)
    monkeypatch.setattr(device_http, "REQUEST_S", 0.3)
    monkeypatch.setattr(httpguard.book, "SWEEP_S", 0.05)
    idle_r, idle_w = await connect(live)
    half_r, half_w = await connect(live)
    half_w.write(event_request(event_id="half")[:60])
    busy_r, busy_w = await connect(live)
    for _ in range(15):  # a sender that keeps posting is never idle long enough
        busy_w.write(event_request())
        assert (await read_reply(busy_r))[0] == 202
        await asyncio.sleep(0.1)
    assert await asyncio.wait_for(idle_r.read(), 5) == b""
    assert await asyncio.wait_for(half_r.read(), 5) == b""
    for w in (idle_w, half_w, busy_w):
        w.close()


async def test_closing_the_front_closes_its_connections_after_their_replies(
    live: Live, conn: Conn
) -> None:
    reader, writer = conn
    writer.write(event_request(event_id="last"))
    await writer.drain()
    front = live.server.front
    assert front is not None
    for _ in range(500):  # until the request is read and its reply owed
        if any(c.busy for c in front.connections):
            break
        await asyncio.sleep(0)
    assert any(c.busy for c in front.connections)
    await front.close(5)
    status, headers, _ = await read_reply(reader)
    assert status == 202 and headers.get("connection") == "close"
    assert await asyncio.wait_for(reader.read(), 5) == b""
    assert front.connections == set()
