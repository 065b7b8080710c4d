"""At the descriptor limit the server backs off, logs once, and still serves (issue 11, 2).

A server in a child process runs with RLIMIT_NOFILE at 200 (soft and hard), and more
idle connections than that are opened to it.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from callpoint.ingress import listener as listener_module
from callpoint.ingress.listener import GreedyListener, bind_sockets
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET

LIMIT = 200
IDLE = 260  # more idle connections than the server has descriptors
CHILD = """
import asyncio, logging, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit}))
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from callpoint.server import ServeOptions, serve
options = ServeOptions(config=Path(sys.argv[1]), db=Path(sys.argv[2]), listen="127.0.0.1:0")
asyncio.run(serve(options, lambda server: print(server.url, flush=True)))
"""


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_more_idle_connections_than_descriptors_leave_posts_and_healthz_served(
    tmp_path: Path,
) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(EXAMPLE_SITE.read_text())
    env = {**os.environ, "CALLPOINT_WEBHOOK_SECRET": WEBHOOK_SECRET}
    env["CALLPOINT_API_TOKEN"] = API_TOKEN
    log = (tmp_path / "server.log").open("w+")
    child = subprocess.Popen(  # our own interpreter and script
        [sys.executable, "-c", CHILD.format(limit=LIMIT), str(config), str(tmp_path / "db")],
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
        text=True,
    )
    idle: list[socket.socket] = []
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        port = int(url.rsplit(":", 1)[1])
        for _ in range(IDLE):
            idle.append(socket.create_connection(("127.0.0.1", port)))
            idle[-1].sendall(b"GET")  # a request begun: not idle, so never shed
            if len(idle) % 2:
                idle[-1].close()  # every other one only connects and stays idle...
                idle[-1] = socket.create_connection(("127.0.0.1", port))
        time.sleep(0.5)
        start = cpu_s(child.pid)
        time.sleep(1.0)
        assert cpu_s(child.pid) - start < 0.3  # no busy loop
        body = event_body("EXPH-03", "sos", utc_now(), event_id="at-limit")
        post = urllib.request.Request(
            f"{url}/api/v1/events", body, signed_headers(WEBHOOK_SECRET, body, utc_now())
        )
        with urllib.request.urlopen(post, timeout=5) as reply:  # loopback
            assert reply.status == 202
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as reply:
            health = json.loads(reply.read())
        assert health["connections"]["cap"] == LIMIT - 64
        assert health["connections"]["shed"] >= 1
    finally:
        for sock in idle:
            sock.close()
        child.terminate()
        child.wait(10)
    log.seek(0)
    lines = [ln for ln in log.read().splitlines() if ln.startswith("WARNING:callpoint.")]
    kinds = [ln.split(":", 2)[1] for ln in lines if "password" not in ln]
    # Shedding at the cap, and running out of descriptors if it happens (the server's own
    # files and sockets count too): each logged once, the rest counted in /healthz.
    assert kinds.count("callpoint.httpguard.book") == 1, lines
    assert kinds.count("callpoint.ingress.listener") <= 1, lines


class OutOfDescriptors(socket.socket):
    def accept(self) -> tuple[socket.socket, object]:
        raise OSError(errno.EMFILE, "Too many open files")


@pytest.mark.asyncio
async def test_at_emfile_the_listener_pauses_sheds_and_logs_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setattr(listener_module, "BACKOFF_S", 0.1)
    real = bind_sockets("127.0.0.1", 0, 16)[0]
    sock = OutOfDescriptors(real.family, real.type, fileno=real.detach())
    sock.setblocking(False)
    shed: list[int] = []

    def on_exhausted(count: int) -> int:
        shed.append(count)
        return 0

    loop = asyncio.get_running_loop()
    listener = GreedyListener(loop, [sock], asyncio.Protocol, 16, on_exhausted=on_exhausted)
    await listener.start_serving()
    client = socket.create_connection(sock.getsockname())  # the socket stays readable
    try:
        with caplog.at_level(logging.WARNING):
            await asyncio.sleep(0.55)
    finally:
        client.close()
        listener.close()
    assert 3 <= listener.exhausted <= 7  # once per pause, not a busy loop
    assert shed == [listener_module.SHED_AT_EXHAUSTION] * listener.exhausted
    warnings = [r for r in caplog.records if r.name == listener_module.__name__]
    assert len(warnings) == 1 and "Too many open files" in warnings[0].getMessage()
