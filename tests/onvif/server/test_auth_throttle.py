"""Password guessing on a served device is slowed per peer address (issue 11, defect 6).

Before the throttle a loopback client tried 871-1,202 passwords a second. Here the
throttle runs on a ManualClock: a guess that must wait blocks until the test moves the
clock, so the tests measure the delays exactly and take milliseconds of real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio

from callpoint.codecs.soap import build_envelope, parse_envelope
from callpoint.model import utc_now
from callpoint.onvif.namespaces import TDS
from callpoint.onvif.security import username_token
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.endpoint import TOO_MANY_FAILURES
from callpoint.onvif.server.host import DeviceHost
from callpoint.onvif.server.throttle import FREE_FAILURES, MAX_DELAY_S, AuthThrottle, delay_after
from tests.clocks import ManualClock
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom
from tests.onvif.server.soapcall import element

ATTACKER = "127.0.0.1"
OPERATOR = "127.0.0.2"  # another loopback address: another peer
NOT_AUTHORIZED = "Sender not Authorized"


@dataclass
class Throttled:
    url: str
    clock: ManualClock
    throttle: AuthThrottle
    advanced: float = 0.0  # virtual seconds the test moved the clock

    async def drive(self, answer: Awaitable[tuple[int, str]]) -> tuple[int, str]:
        """Await `answer`, moving the clock to each sleeper's deadline as it waits."""
        task = asyncio.ensure_future(answer)
        while True:
            done, _ = await asyncio.wait({task}, timeout=0.005)
            if done:
                return task.result()
            step = self.clock.next_deadline
            if step is not None:
                self.advanced += step
                self.clock.advance(step)


@pytest_asyncio.fixture
async def throttled() -> AsyncIterator[Throttled]:
    clock = ManualClock(utc_now())
    throttle = AuthThrottle(clock)
    host = DeviceHost(throttle=throttle)
    hosted = await host.add(VirtualDevice(ptz_intercom()))
    try:
        yield Throttled(hosted.device_service_url, clock, throttle)
    finally:
        await host.close()


async def login(url: str, password: str, peer: str) -> tuple[int, str]:
    """GetDeviceInformation with a UsernameToken from `peer`: (HTTP status, fault reason)."""
    data = build_envelope(
        element(TDS, "GetDeviceInformation"), [username_token(ADMIN, password, utc_now())]
    )
    connector = aiohttp.TCPConnector(local_addr=(peer, 0))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(url, data=data, headers={"Content-Type": "application/soap+xml"}) as r,
    ):
        envelope = parse_envelope(await r.read())
    assert envelope.body is not None
    reason = envelope.body.findtext(".//{*}Reason/{*}Text") or ""
    return r.status, reason


def test_delay_doubles_from_half_a_second_to_the_cap_after_the_free_failures() -> None:
    schedule = [delay_after(n) for n in range(1, 14)]
    assert schedule == [0.0] * FREE_FAILURES + [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert delay_after(10_000) == MAX_DELAY_S


@pytest.mark.asyncio
async def test_fifty_wrong_guesses_take_the_cumulative_delay(throttled: Throttled) -> None:
    for _ in range(50):
        status, reason = await throttled.drive(login(throttled.url, "guess", ATTACKER))
        assert (status, reason) == (400, NOT_AUTHORIZED)
    # The 50th guess waited for the delay the 49th failure set.
    expected = sum(delay_after(n) for n in range(1, 50))
    assert expected == 31.5 + 38 * MAX_DELAY_S
    assert throttled.advanced == pytest.approx(expected)
    assert throttled.throttle.health() == {
        "onvif_auth_failures": 50,
        "onvif_auth_delayed": 50 - FREE_FAILURES - 1,
        "onvif_auth_refused": 0,
        "onvif_auth_peers_throttled": 1,
    }


@pytest.mark.asyncio
async def test_other_peer_logs_in_undelayed_while_a_guesser_waits(throttled: Throttled) -> None:
    for _ in range(FREE_FAILURES + 3):
        await throttled.drive(login(throttled.url, "guess", ATTACKER))
    waiting = asyncio.ensure_future(login(throttled.url, "guess", ATTACKER))
    while throttled.clock.sleepers == 0:
        await asyncio.sleep(0.005)
    # The clock does not move: a delayed operator login would hang here.
    assert await asyncio.wait_for(login(throttled.url, ADMIN_PW, OPERATOR), 5) == (200, "")
    assert not waiting.done()
    assert await throttled.drive(waiting) == (400, NOT_AUTHORIZED)


@pytest.mark.asyncio
async def test_parallel_guesses_are_refused_unchecked(throttled: Throttled) -> None:
    for _ in range(FREE_FAILURES + 1):
        await throttled.drive(login(throttled.url, "guess", ATTACKER))
    first = asyncio.ensure_future(login(throttled.url, "guess", ATTACKER))
    try:
        while throttled.clock.sleepers == 0:
            await asyncio.sleep(0.005)
        # A second connection while the first waits is not checked at all, right or wrong.
        assert await asyncio.wait_for(login(throttled.url, ADMIN_PW, ATTACKER), 5) == (
            400,
            TOO_MANY_FAILURES,
        )
        assert throttled.throttle.refused == 1
    finally:
        assert await throttled.drive(first) == (400, NOT_AUTHORIZED)


@pytest.mark.asyncio
async def test_a_success_resets_the_peer(throttled: Throttled) -> None:
    for _ in range(FREE_FAILURES + 2):
        await throttled.drive(login(throttled.url, "guess", ATTACKER))
    assert await throttled.drive(login(throttled.url, ADMIN_PW, ATTACKER)) == (200, "")
    before = throttled.advanced
    for _ in range(FREE_FAILURES):
        await throttled.drive(login(throttled.url, "guess", ATTACKER))
    assert throttled.advanced == before
    assert throttled.throttle.throttled_peers() == 0
