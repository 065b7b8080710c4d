"""Unauthenticated peers cannot make the server hold their bodies (issue 11, 1).

Fifty connections each start a large body and stop sending: on `POST /login` of the main
port they are refused at the route's limit; on a bridge-like ONVIF `DeviceHost` the
bodies in flight are held to the budget and the rest are cut off at the deadline. The
process's resident memory stays within a bound, and an event post still succeeds.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from callpoint.httpguard import book, guard, middleware
from callpoint.onvif.server import DeviceHost, VirtualDevice
from tests.onvif.server.sites import ptz_intercom
from tests.server.conftest import Live

pytestmark = pytest.mark.asyncio

CONNECTIONS = 50
MIB = 1024 * 1024
RSS_BOUND_MIB = 64  # growth allowed: buffers and the 32 MiB budget of bodies in flight


def rss_mib() -> float:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def open_with(port: int, head: bytes, body: bytes) -> socket.socket:
    """A connection that sends `head` and as much of `body` as the kernel takes now
    (nothing is buffered on our side, so our own memory does not count)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MIB)
    sock.sendall(head)
    sock.setblocking(False)
    view = memoryview(body)
    while view:
        try:
            view = view[sock.send(view) :]
        except BlockingIOError:
            break
    return sock


async def reply_of(sock: socket.socket, timeout_s: float) -> bytes:
    """The server's reply, or b"" if it closed without one."""
    loop = asyncio.get_running_loop()
    data = b""
    async with asyncio.timeout(timeout_s):
        while True:
            try:
                part = await loop.sock_recv(sock, 65536)
            except ConnectionResetError:
                return data
            if not part:
                return data
            data += part
            head, sep, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            if sep and length and len(body) >= int(length[1]):
                return data  # a whole reply (the server may linger before it closes)


@pytest.fixture
def clients() -> Iterator[list[socket.socket]]:
    socks: list[socket.socket] = []
    yield socks
    for sock in socks:
        sock.close()


async def test_login_bodies_are_refused_at_the_route_limit(
    live: Live, clients: list[socket.socket]
) -> None:
    port = int(live.url.rsplit(":", 1)[1])
    partial = b"u=" + b"a" * MIB
    before = rss_mib()
    for n in range(CONNECTIONS):
        if n % 2:  # a declared length past the limit: refused before a byte is read
            head = b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % (2 * MIB)
            head += b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            clients.append(open_with(port, head, partial))
        else:  # chunked, no length: cut off one byte past the limit
            head = b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            head += b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            clients.append(open_with(port, head, b"%x\r\n" % (2 * MIB) + partial))
    replies = [await reply_of(sock, 5) for sock in clients]
    assert all(r.startswith(b"HTTP/1.1 413 ") for r in replies), {r[:40] for r in replies}
    assert all(b'"detail":"more than 4096 bytes"' in r for r in replies)
    assert rss_mib() - before < RSS_BOUND_MIB
    status, _ = await live.post_event("EXPH-03", "sos")
    assert status == 202


async def test_slow_soap_bodies_are_held_to_the_budget_and_cut_off_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch, clients: list[socket.socket]
) -> None:
    monkeypatch.setattr(guard, "REQUEST_S", 0.5)
    monkeypatch.setattr(book, "SWEEP_S", 0.1)
    host = DeviceHost()
    try:
        hosted = await host.add(VirtualDevice(ptz_intercom()))
        port = int(hosted.base_url.rsplit(":", 1)[1])
        head = b"POST /onvif/device_service HTTP/1.1\r\nHost: x\r\n"
        head += b"Content-Type: application/soap+xml\r\nContent-Length: %d\r\n\r\n" % (4 * MIB)
        partial = b"<" * (3 * MIB)  # then nothing more: a slow sender or an attacker
        before = rss_mib()
        for _ in range(CONNECTIONS):
            clients.append(open_with(port, head, partial))
        await asyncio.sleep(0.2)
        replies = [await reply_of(sock, 5) for sock in clients]
        busy = [r for r in replies if r.startswith(b"HTTP/1.1 503 ")]
        cut = [r for r in replies if r == b""]
        reading = middleware.BODY_BUDGET_BYTES // (4 * MIB)
        assert len(cut) == reading and len(busy) == CONNECTIONS - reading
        assert rss_mib() - before < RSS_BOUND_MIB
        assert host.connections.counts["timed_out"] >= reading
    finally:
        await host.close()
