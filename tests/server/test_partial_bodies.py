"""An event post is judged on its whole body, however it is framed or split (issue 11, 4).

Each request goes over a raw socket in two writes with a pause between, so the body
arrives in two TCP segments.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from tests.conftest import WEBHOOK_SECRET
from tests.server.conftest import Live

pytestmark = pytest.mark.asyncio

PAUSE_S = 0.2  # long enough for the server to read the first segment on its own


def _head(version: str, body: bytes, framing: str) -> tuple[bytes, bytes]:
    """(head, body as sent): `framing` is chunked, length or close."""
    headers = signed_headers(WEBHOOK_SECRET, body, utc_now())
    lines = [f"POST /api/v1/events HTTP/{version}", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if framing == "chunked":
        lines += ["Transfer-Encoding: chunked", "Connection: close"]
        half = len(body) // 2
        sent = (
            b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:half], body[half:]))
            + b"0\r\n\r\n"
        )
    elif framing == "length":
        lines.append(f"Content-Length: {len(body)}")
        sent = body
    else:
        sent = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), sent


async def _post_in_two_writes(live: Live, version: str, framing: str, event_id: str) -> int:
    body = event_body("EXPH-03", "off_hook", utc_now(), event_id=event_id)
    head, sent = _head(version, body, framing)
    host, port = live.url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        cut = len(head) + len(sent) // 3
        writer.write((head + sent)[:cut])
        await writer.drain()
        await asyncio.sleep(PAUSE_S)
        writer.write((head + sent)[cut:])
        await writer.drain()
        if framing == "close":
            writer.write_eof()  # the body ends where the sender stops sending
        reply = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    status_line, _, rest = reply.partition(b"\r\n")
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["event_id"] == f"EXPH-03:{event_id}"
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    ("version", "framing"),
    [("1.1", "chunked"), ("1.0", "length"), ("1.0", "close")],
    ids=["chunked", "http10-content-length", "http10-until-close"],
)
async def test_a_body_split_in_two_segments_is_judged_whole(
    live: Live, version: str, framing: str
) -> None:
    assert await _post_in_two_writes(live, version, framing, f"split-{framing}") == 202
    stored = await live.get("/api/v1/events")
    assert [e["id"] for e in stored["events"]] == [f"EXPH-03:split-{framing}"]
