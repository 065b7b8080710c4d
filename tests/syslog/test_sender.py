"""Sender behaviour that needs no receiver: never raising, never blocking, counting."""

from __future__ import annotations

import asyncio
import socket

import pytest

from callpoint.syslog.sender import TcpSyslogSender, UdpSyslogSender

pytestmark = pytest.mark.asyncio


async def test_udp_receiver_that_cannot_be_opened_does_not_stop_start() -> None:
    # A link-local address without a scope: connect() fails at once, no DNS involved.
    sender = UdpSyslogSender("fe80::1", 514)
    await sender.start()
    sender.send(b"<13>1 - - - - - - lost")
    assert (sender.sent, sender.dropped) == (0, 1)
    assert sender.errors >= 1
    await sender.close()


async def test_udp_datagrams_are_cut_to_the_limit() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(5)
        sender = UdpSyslogSender("127.0.0.1", rx.getsockname()[1], max_octets=100)
        await sender.start()
        sender.send(b"x" * 300)
        data = await asyncio.to_thread(rx.recv, 4096)
        await sender.close()
    assert (len(data), sender.truncated, sender.sent) == (100, 1, 1)


async def test_tcp_send_never_blocks_while_the_receiver_is_absent() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens
    sender = TcpSyslogSender("127.0.0.1", port, buffer_max=100, min_backoff=0.01)
    await sender.start()
    loop = asyncio.get_running_loop()
    started = loop.time()
    for n in range(10_000):
        sender.send(b"<13>1 - - - - - - m%d" % n)
    assert loop.time() - started < 1.0
    assert (sender.pending, sender.dropped, sender.connected) == (100, 9_900, False)
    await asyncio.sleep(0.05)  # several reconnect attempts fail quietly
    await sender.close(flush_timeout=0.1)
    assert sender.dropped == 10_000
