"""GreedyListener: a burst of connections is taken at once, even while the loop is busy."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvloop

from callpoint.ingress.listener import GreedyListener, bind_sockets

BURST = 120
TURN_S = 0.02  # each turn of the busy loop lasts this long


async def burst_while_busy() -> tuple[int, int, list[bytes]]:
    """(turns of the loop until every connection was made, connections made, data read)."""
    loop = asyncio.get_running_loop()
    made: list[float] = []
    received: list[bytes] = []

    class Recorder(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            made.append(time.monotonic())

        def data_received(self, data: bytes) -> None:
            received.append(data)

    listener = GreedyListener(loop, bind_sockets("127.0.0.1", 0, 512), Recorder, 512)
    await listener.start_serving()
    port = listener.sockets[0].getsockname()[1]
    turns = 0
    busy = True

    def one_busy_turn() -> None:  # time.sleep leaves the GIL to the connecting thread
        nonlocal turns
        turns += 1
        time.sleep(TURN_S)
        if busy:
            loop.call_soon(one_busy_turn)

    clients: list[socket.socket] = []

    def connect_all() -> None:
        for n in range(BURST):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"hello %d" % n)
            clients.append(sock)

    loop.call_soon(one_busy_turn)
    connector = threading.Thread(target=connect_all)
    connector.start()
    while connector.is_alive():  # the kernel completes handshakes; nobody accepts yet
        await asyncio.sleep(0)
    start_turns = turns
    while len(received) < BURST and turns - start_turns < 200:
        await asyncio.sleep(0)
    busy = False
    listener.close()
    await listener.wait_closed()
    for sock in clients:
        sock.close()
    return turns - start_turns, len(made), received


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_a_burst_is_accepted_within_a_few_turns_of_a_busy_loop(loop_kind: str) -> None:
    run = uvloop.run if loop_kind == "uvloop" else asyncio.run
    turns, made, received = run(burst_while_busy())
    assert made == BURST
    assert sorted(received) == sorted(b"hello %d" % n for n in range(BURST))
    # Accept, adopt, connection_made, first read: a handful of turns, not one per
    # connection (uvloop's own server takes one connection per turn: about BURST turns).
    assert turns <= 10, turns


@pytest.mark.asyncio
async def test_closing_stops_listening_and_frees_the_port() -> None:
    loop = asyncio.get_running_loop()
    listener = GreedyListener(loop, bind_sockets("127.0.0.1", 0, 16), asyncio.Protocol, 16)
    await listener.start_serving()
    port = listener.sockets[0].getsockname()[1]
    assert listener.is_serving()
    listener.close()
    assert not listener.is_serving() and listener.sockets == ()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    again = bind_sockets("127.0.0.1", port, 16)  # SO_REUSEADDR: the port is free at once
    for sock in again:
        sock.close()


def test_binding_a_port_in_use_fails_with_the_os_error() -> None:
    first = bind_sockets("127.0.0.1", 0, 16)
    port = first[0].getsockname()[1]
    try:
        with pytest.raises(OSError):
            bind_sockets("127.0.0.1", port, 16)
    finally:
        for sock in first:
            sock.close()
