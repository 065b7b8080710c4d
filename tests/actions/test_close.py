"""Every executor has a close(): what it made is released, what it was lent is not."""

from __future__ import annotations

import aiohttp
import pytest

from callpoint.actions.console_push import ConsolePushExecutor
from callpoint.actions.executor import Executor
from callpoint.actions.http_call import HttpCallExecutor
from callpoint.console.stream import StreamHub
from callpoint.model import ActionKind
from tests import factories as f


@pytest.mark.asyncio
async def test_http_executor_closes_the_session_it_made_only() -> None:
    own = HttpCallExecutor()
    session = own._client()
    await own.close()
    assert session.closed
    await own.close()  # a second close is harmless
    async with aiohttp.ClientSession() as lent:
        borrower = HttpCallExecutor(lent)
        await borrower.close()
        assert not lent.closed


@pytest.mark.asyncio
async def test_console_push_close_leaves_the_hub_delivering() -> None:
    hub = StreamHub()
    sub = hub.subscribe("dispatch", None)
    push: Executor = ConsolePushExecutor(hub)
    await push.close()
    popup = f.action(ActionKind.POPUP, target="dispatch", incident_id="inc-1")
    outcome = await push.execute(popup)
    assert outcome.ok, outcome.detail
    hub.flush()
    [message] = [m for m in sub.pending() if m is not None and m.kind == "screen"]
    assert b'"cameras":["TANKFARM-EAST-PTZ-01","TANKFARM-EAST-FIX-02"]' in message.frame
