"""Responder, prober and listener over real UDP sockets on 127.0.0.1 (no multicast)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from callpoint.onvif import discovery as wsd

pytestmark = pytest.mark.asyncio

CAMERA = wsd.Endpoint(
    "urn:uuid:5e1f0000-0000-4000-8000-000000000042",
    (wsd.NETWORK_VIDEO_TRANSMITTER, wsd.DEVICE),
    (
        "onvif://www.onvif.org/name/Gate%20PTZ",
        "onvif://www.onvif.org/hardware/CP-PTZ-1",
        "onvif://www.onvif.org/location/TANKFARM-EAST",
        "onvif://www.onvif.org/Profile/Streaming",
        "onvif://www.onvif.org/Profile/T",
    ),
    ("http://127.0.0.1:8080/onvif/device_service",),
)


async def test_directed_probe_finds_the_responder() -> None:
    async with wsd.DiscoveryResponder(CAMERA, port=0) as responder:
        address = responder.address
        found = await wsd.probe(targets=[address], timeout_s=0.6)
    [device] = found
    assert device.endpoint == CAMERA
    assert device.source == address
    info = device.info
    assert (info.name, info.hardware, info.locations) == (
        "Gate PTZ",
        "CP-PTZ-1",
        ("TANKFARM-EAST",),
    )
    assert info.profiles == {"S", "T"}


async def test_probe_deduplicates_many_answers_by_address() -> None:
    # Two responders claiming the same endpoint (one device, two interfaces) plus another.
    other = wsd.Endpoint("urn:uuid:other", CAMERA.types, (), ("http://127.0.0.1:9090/onvif",))
    twin = wsd.Endpoint(CAMERA.address, CAMERA.types, CAMERA.scopes, ("http://127.0.0.2/onvif",))
    async with (
        wsd.DiscoveryResponder(CAMERA, port=0) as a,
        wsd.DiscoveryResponder(twin, port=0) as b,
        wsd.DiscoveryResponder(other, port=0) as c,
    ):
        found = await wsd.probe(targets=[a.address, b.address, c.address], timeout_s=0.6)
    assert sorted(d.endpoint.address for d in found) == sorted([CAMERA.address, "urn:uuid:other"])
    merged = next(d for d in found if d.endpoint.address == CAMERA.address)
    assert set(merged.endpoint.xaddrs) == set(CAMERA.xaddrs + twin.xaddrs)


async def test_scope_filter_is_applied_by_the_responder() -> None:
    async with wsd.DiscoveryResponder(CAMERA, port=0) as responder:
        hit = await wsd.probe(
            targets=[responder.address], scopes=("onvif://www.onvif.org/location",), timeout_s=0.4
        )
        miss = await wsd.probe(
            targets=[responder.address],
            scopes=("onvif://www.onvif.org/location/YARD",),
            timeout_s=0.4,
        )
    assert len(hit) == 1 and miss == []


async def test_hello_at_start_bye_at_stop_and_hello_on_update() -> None:
    async with wsd.HelloByeListener(port=0) as listener:
        responder = wsd.DiscoveryResponder(CAMERA, port=0, announce_to=[listener.address])
        await responder.start()
        hello = await asyncio.wait_for(listener.next(), 2)
        assert hello.joined and hello.endpoint == CAMERA
        assert hello.source == responder.address
        responder.update(
            wsd.Endpoint(
                CAMERA.address, CAMERA.types, CAMERA.scopes, ("http://127.0.0.1:8081/onvif",)
            )
        )
        moved = await asyncio.wait_for(listener.next(), 2)
        assert moved.joined and moved.endpoint.xaddrs == ("http://127.0.0.1:8081/onvif",)
        assert moved.endpoint.metadata_version == CAMERA.metadata_version + 1
        await responder.stop()
        bye = await asyncio.wait_for(listener.next(), 2)
        assert not bye.joined and bye.endpoint.address == CAMERA.address
        await responder.stop()  # twice is harmless


async def test_garbage_does_not_stop_the_responder() -> None:
    async with wsd.DiscoveryResponder(CAMERA, port=0) as responder:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
            for junk in (b"", b"\xff" * 2000, b"<x/>", b"<?xml version='1.0'?><!DOCTYPE a []><a/>"):
                attacker.sendto(junk, responder.address)
        found = await wsd.probe(targets=[responder.address], timeout_s=0.5)
        assert len(found) == 1
        assert responder.core.malformed == 4


async def test_a_closed_port_gives_an_empty_answer_not_an_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        closed = probe_port.getsockname()
    assert await wsd.probe(targets=[closed], timeout_s=0.3) == []


async def test_probe_refuses_to_do_nothing() -> None:
    with pytest.raises(ValueError, match="multicast=True"):
        await wsd.probe()


async def test_listener_iterates_and_nothing_is_left_running() -> None:
    before = asyncio.all_tasks()
    async with wsd.HelloByeListener(port=0) as listener:
        async with wsd.DiscoveryResponder(CAMERA, port=0, announce_to=[listener.address]):
            pass
        seen = []
        async for announcement in listener:
            seen.append(announcement.joined)
            if len(seen) == 2:
                break
    assert seen == [True, False]
    assert asyncio.all_tasks() == before


async def test_stopping_the_listener_wakes_whoever_waits() -> None:
    listener = wsd.HelloByeListener(port=0)
    await listener.start()
    waiter = asyncio.create_task(listener.next())
    collected: list[wsd.Announcement] = []

    async def consume() -> None:
        async for announcement in listener:
            collected.append(announcement)

    iterating = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    await listener.stop()
    with pytest.raises(wsd.ListenerClosedError):
        await asyncio.wait_for(waiter, 1)
    await asyncio.wait_for(iterating, 1)  # the async for ends instead of hanging
    assert collected == []
    with pytest.raises(wsd.ListenerClosedError):
        await listener.next()


async def test_resolve_returns_the_current_addresses() -> None:
    async with wsd.DiscoveryResponder(CAMERA, port=0) as responder:
        found = await wsd.resolve(CAMERA.address, targets=[responder.address], timeout_s=1)
        nobody = await wsd.resolve("urn:uuid:unknown", targets=[responder.address], timeout_s=0.3)
    assert found == CAMERA
    assert nobody is None
