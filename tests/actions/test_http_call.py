"""The http executor against a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from callpoint.action_payloads import HttpPayload
from callpoint.actions.http_call import HttpCallExecutor
from callpoint.actions.outbox import OutboxRunner, RetryPolicy
from callpoint.model import Action, ActionKind, ActionOutcome, ActionState
from callpoint.store.base import Write
from callpoint.store.sqlite import SqliteStore
from tests import factories as f
from tests.actions.test_outbox import until
from tests.clocks import ManualClock

pytestmark = pytest.mark.asyncio


class Target:
    """A relay endpoint with scripted answers; records what it was sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.flaky_left = 1
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append((request.method, request.path_qs, dict(request.headers), body))
        name = request.match_info["name"]
        if name == "flaky" and self.flaky_left > 0:
            self.flaky_left -= 1
            return web.Response(status=500, text="relay busy")
        if name == "missing":
            return web.Response(status=404, text="no such relay")
        if name == "slow":
            await asyncio.sleep(0.5)
        if name == "redirect":
            raise web.HTTPFound("http://127.0.0.1:1/elsewhere")
        return web.json_response({"relay": "pulsed"})


@pytest_asyncio.fixture
async def target() -> AsyncIterator[Target]:
    t = Target()
    app = web.Application()
    app.router.add_route("*", "/{name}", t.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    t.base = f"http://127.0.0.1:{port}"
    yield t
    await runner.cleanup()


@pytest_asyncio.fixture
async def executor() -> AsyncIterator[HttpCallExecutor]:
    ex = HttpCallExecutor()
    yield ex
    await ex.close()


def http_action(url: str, incident_id: str | None = None, **fields: object) -> Action:
    payload = HttpPayload(url=url, **fields)  # type: ignore[arg-type]
    return f.action(ActionKind.HTTP, target="intercom-1", incident_id=incident_id, payload=payload)


async def test_2xx_is_done_and_body_template_is_filled(
    target: Target, executor: HttpCallExecutor
) -> None:
    act = http_action(
        target.base + "/open?token=s3cret",
        body='{"door": "${target}", "event": "${event_id}", "note": "${incident_id}"}',
        incident_id='say "hi"\\',  # JSON-escaped into the body
        headers=(("X-Site", "tankfarm"),),
    )
    outcome = await executor.execute(act)
    assert outcome.ok, outcome.detail
    assert outcome.detail.startswith(f"POST {target.base}/open -> 200 in ")
    assert "s3cret" not in outcome.detail  # the query may carry a secret
    method, path, headers, body = target.requests[0]
    assert (method, path, headers["X-Site"]) == ("POST", "/open?token=s3cret", "tankfarm")
    assert json.loads(body) == {"door": "intercom-1", "event": "e1", "note": 'say "hi"\\'}


async def test_default_body_describes_the_action(
    target: Target, executor: HttpCallExecutor
) -> None:
    act = http_action(target.base + "/vms", method="put")
    assert (await executor.execute(act)).ok
    method, _, headers, body = target.requests[0]
    sent = json.loads(body)
    assert (method, headers["Content-Type"]) == ("PUT", "application/json")
    assert (sent["action_id"], sent["kind"], sent["target"]) == (act.id, "http", "intercom-1")
    # The planner's params as before typed payloads: method and timeout, no headers.
    assert sent["params"] == {"method": "put", "timeout_s": 5.0}


async def test_text_body_with_stray_dollars_is_sent_as_plain_text(
    target: Target, executor: HttpCallExecutor
) -> None:
    act = http_action(target.base + "/say", body="pulse relay 1 at ${target} for $5 ${nope}")
    assert (await executor.execute(act)).ok
    _, _, headers, body = target.requests[0]
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body == b"pulse relay 1 at intercom-1 for $5 ${nope}"


async def test_content_type_header_of_the_action_wins(
    target: Target, executor: HttpCallExecutor
) -> None:
    act = http_action(
        target.base + "/form",
        body="relay=1&mode=pulse",
        headers=(("content-type", "application/x-www-form-urlencoded"),),
    )
    assert (await executor.execute(act)).ok
    _, _, headers, body = target.requests[0]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert body == b"relay=1&mode=pulse"


async def test_timeout_s_as_the_planner_writes_it(executor: HttpCallExecutor) -> None:
    act = f.action(
        ActionKind.HTTP, target="http://127.0.0.1:1/x", payload=HttpPayload(timeout_s=0.0)
    )
    outcome = await executor.execute(act)
    assert (outcome.ok, outcome.retry) == (False, False)
    assert "timeout 0.0 s" in outcome.detail


async def test_404_fails_without_retry(target: Target, executor: HttpCallExecutor) -> None:
    outcome = await executor.execute(http_action(target.base + "/missing"))
    assert (outcome.ok, outcome.retry) == (False, False)
    assert "-> 404" in outcome.detail
    assert "no such relay" in outcome.detail


async def test_500_is_retried(target: Target, executor: HttpCallExecutor) -> None:
    outcome = await executor.execute(http_action(target.base + "/flaky"))
    assert (outcome.ok, outcome.retry) == (False, True)
    assert "-> 500" in outcome.detail


async def test_timeout_is_retried(target: Target, executor: HttpCallExecutor) -> None:
    outcome = await executor.execute(http_action(target.base + "/slow", timeout_s=0.1))
    assert (outcome.ok, outcome.retry) == (False, True)
    assert "no answer within 0.1 s" in outcome.detail


async def test_connection_refused_is_retried(executor: HttpCallExecutor) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    outcome = await executor.execute(http_action(f"http://127.0.0.1:{port}/x"))
    assert (outcome.ok, outcome.retry) == (False, True)
    assert "ClientConnectorError" in outcome.detail


async def test_redirect_is_not_followed(target: Target, executor: HttpCallExecutor) -> None:
    outcome = await executor.execute(http_action(target.base + "/redirect"))
    assert (outcome.ok, outcome.retry) == (False, False)
    assert "-> 302" in outcome.detail
    assert len(target.requests) == 1


async def test_expect_status_list(target: Target, executor: HttpCallExecutor) -> None:
    assert (await executor.execute(http_action(target.base + "/missing", expect_status="404"))).ok
    outcome = await executor.execute(http_action(target.base + "/x", expect_status="204,202"))
    assert not outcome.ok


_LOCAL = "http://127.0.0.1:1/x"


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (HttpPayload(url="ftp://127.0.0.1/x"), "only http and https"),
        (HttpPayload(url="file:///etc/passwd"), "only http and https"),
        (HttpPayload(url=_LOCAL, method="TRACE"), "not allowed"),
        (HttpPayload(url=_LOCAL, timeout_s=0), "timeout"),
        (HttpPayload(url=_LOCAL, timeout_s=61), "timeout"),
        (HttpPayload(url=_LOCAL, headers=(("X-A", "a\r\nInjected: 1"),)), "bad header"),
        (HttpPayload(url=_LOCAL, expect_status="ok"), "expect_status"),
    ],
)
async def test_unusable_payloads_fail_without_retry(
    executor: HttpCallExecutor, payload: HttpPayload, why: str
) -> None:
    outcome = await executor.execute(f.action(ActionKind.HTTP, payload=payload))
    assert (outcome.ok, outcome.retry) == (False, False)
    assert why in outcome.detail


async def test_an_action_of_another_kind_is_refused(executor: HttpCallExecutor) -> None:
    outcome = await executor.execute(f.action(ActionKind.PRESET))
    assert (outcome.ok, outcome.retry, outcome.detail) == (
        False,
        False,
        "bad http action: a preset action is not an http call",
    )


async def test_outbox_retries_500_then_200_to_done(target: Target, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db")
    await store.open()
    clock = ManualClock(f.T0)
    executor = HttpCallExecutor()
    seen: list[tuple[Action, ActionOutcome]] = []
    runner = OutboxRunner(
        store,
        [executor],
        clock=clock,
        listener=lambda a, o: seen.append((a, o)),
        policy=RetryPolicy(base_delay=2.0, jitter=0.0),
        poll_interval=3600.0,
    )
    await runner.start()
    await store.write(Write(actions=[http_action(target.base + "/flaky")]))
    runner.notify()
    await until(lambda: len(seen) == 1, "first attempt")
    assert seen[0][0].state is ActionState.PLANNED
    assert "-> 500" in (seen[0][0].last_error or "")
    await until(lambda: clock.sleepers == 1, "runner asleep")
    clock.advance(2.0)
    await until(lambda: len(seen) == 2, "retry")
    (stored,) = await store.actions()
    assert (stored.state, stored.attempts) == (ActionState.DONE, 2)
    assert len(target.requests) == 2
    await runner.stop()
    await executor.close()
    await store.close()
