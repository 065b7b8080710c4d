"""The parts wired as the server will wire them: store, outbox, http executor, syslog.

An engine step planning an `http` and a `preset` action is written; the outbox calls the
relay endpoint, records the outcome, and the outcome reaches a real rsyslogd; the preset
(no executor yet) stays planned.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from callpoint.action_payloads import HttpPayload
from callpoint.actions.http_call import HttpCallExecutor
from callpoint.actions.outbox import OutboxRunner
from callpoint.model import ActionKind, ActionState, EventType
from callpoint.store.base import Write
from callpoint.store.sqlite import SqliteStore
from callpoint.syslog.output import SyslogOutput
from callpoint.syslog.records import Origin
from callpoint.syslog.sender import TcpSyslogSender
from tests import factories as f
from tests.actions.test_outbox import until
from tests.support.peers import RSYSLOGD, require_peer
from tests.syslog.conftest import Rsyslog
from tests.syslog.test_sender_rsyslog import sd_of, wait_records

pytestmark = pytest.mark.asyncio


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    require_peer(RSYSLOGD)
    server = Rsyslog(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def relay() -> AsyncIterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []

    async def pulse(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/relay/1", pulse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/relay/1", bodies
    await runner.cleanup()


async def test_engine_step_to_relay_call_to_syslog(
    tmp_path: Path, rsyslog: Rsyslog, relay: tuple[str, list[bytes]]
) -> None:
    url, bodies = relay
    store = SqliteStore(tmp_path / "callpoint.db")
    await store.open()
    syslog = SyslogOutput([TcpSyslogSender("127.0.0.1", rsyslog.tcp_port)], Origin())
    await syslog.start()
    http = HttpCallExecutor()
    outbox = OutboxRunner(store, [http], listener=syslog.action_outcome)
    await outbox.start()

    inc = f.incident()
    ev = f.event(type=EventType.SOS, priority=90)
    door = f.action(
        ActionKind.HTTP,
        event_id=ev.id,
        incident_id=inc.id,
        target="gate",
        payload=HttpPayload(url=url),
    )
    preset = f.action(kind=ActionKind.PRESET, event_id=ev.id, incident_id=inc.id)
    await store.write(Write(event=ev, incident_id=inc.id, incidents=[inc], actions=[door, preset]))
    syslog.event(ev)
    outbox.notify()

    await until(lambda: len(bodies) == 1, "relay called")
    records = await wait_records(rsyslog, 2)
    assert [r["msgid"] for r in records] == ["EVENT", "ACTION"]
    action_sd = sd_of(records[1])["callpoint@32473"]
    assert (action_sd["action"], action_sd["state"], action_sd["ok"]) == (door.id, "done", "true")
    states = {a.id: a.state for a in await store.actions_for_incident(inc.id)}
    assert states == {door.id: ActionState.DONE, preset.id: ActionState.PLANNED}

    await outbox.stop()
    await http.close()
    await syslog.close()
    await store.close()
