"""The Notify endpoint, fed over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from callpoint.codecs.soap import parse_envelope
from callpoint.onvif.consumer import notify_app
from callpoint.onvif.eventmap import DEFAULT_RULES, map_event
from callpoint.onvif.notification import NotificationMessage

pytestmark = pytest.mark.asyncio

FIXTURE = Path(__file__).parent.parent / "fixtures" / "onvif" / "spec_doorstation_Notify_door.xml"


async def test_notify_reaches_callback_and_bad_input_gets_a_fault() -> None:
    got: list[tuple[str, tuple[NotificationMessage, ...]]] = []

    async def on_notify(key: str, messages: tuple[NotificationMessage, ...]) -> None:
        got.append((key, messages))

    # aiohttp keeps reading ("lingering") a body its handler refused unread, 10 s by default,
    # and its handler task outlives the runner's cleanup: no lingering here.
    runner = web.AppRunner(notify_app(on_notify), access_log=None, lingering_time=0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}/onvif/notify/door-7"
    try:
        async with aiohttp.ClientSession() as s:
            async with s.post(url, data=FIXTURE.read_bytes()) as r:
                assert r.status == 200
            async with s.post(url, data=b"<not-xml") as r:
                assert r.status == 400
                fault = parse_envelope(await r.read())
                assert fault.is_fault
            doctype = b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'
            async with s.post(url, data=doctype) as r:
                assert r.status == 400
        # A declared oversize body is refused before it is read.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /onvif/notify/door-7 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"
        )
        status_line = await asyncio.wait_for(reader.readline(), 5)
        assert b" 413 " in status_line
        writer.close()
        await writer.wait_closed()
    finally:
        await runner.cleanup()
    assert len(got) == 1
    key, messages = got[0]
    assert key == "door-7" and len(messages) == 2
    mapped = map_event(DEFAULT_RULES, messages[0])
    assert mapped is not None and mapped.event_type == "door_forced"
