"""Helpers for the ONVIF ingress and action tests: a virtual device, a quirk proxy, waits."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web

from callpoint.ingress.onvif_subscription import OnvifTarget, SubscriptionSettings
from callpoint.onvif.eventmap import DEFAULT_RULES
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost, HostedDevice
from tests.clocks import ManualClock
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom

FAST = SubscriptionSettings(
    lifetime_s=3.0, pull_timeout_s=0.2, call_timeout_s=3.0, start_jitter_s=0.0
)
_OP = re.compile(rb"<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)")

Hook = Callable[[str, bytes], bytes | None]
STALL_S = FAST.pull_timeout_s + FAST.call_timeout_s + 0.5


def operation(body: bytes) -> str:
    """The local name of the first element of a SOAP body."""
    found = _OP.search(body)
    return found.group(1).decode() if found else ""


def soap_fault(subcode: str, reason: str, code: str = "Sender") -> bytes:
    """A SOAP 1.2 fault with a ter: subcode."""
    return (
        '<?xml version="1.0"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault>'
        f"<env:Code><env:Value>env:{code}</env:Value><env:Subcode><env:Value>ter:{subcode}"
        "</env:Value></env:Subcode></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{reason}</env:Text></env:Reason>'
        "</env:Fault></env:Body></env:Envelope>"
    ).encode()


@dataclass
class QuirkProxy:
    """Forwards SOAP to a real device; ``hook(op, request)`` may answer instead, and
    ``rewrite(op, reply)`` may change the device's reply (a misbehaving firmware)."""

    upstream: str
    hook: Hook = lambda op, body: None
    rewrite: Callable[[str, bytes], bytes] = lambda op, body: body
    drop: Callable[[str], bool] = lambda op: False
    seen: list[tuple[str, bytes]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        op = operation(body)
        self.seen.append((op, body))
        if self.drop(op):
            await asyncio.sleep(STALL_S)  # no answer within the client's timeout
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        answer = self.hook(op, body)
        if answer is not None:
            return web.Response(status=400, body=answer, content_type="application/soap+xml")
        headers = {"Content-Type": request.headers.get("Content-Type", "application/soap+xml")}
        if "Authorization" in request.headers:
            headers["Authorization"] = request.headers["Authorization"]
        async with (
            aiohttp.ClientSession() as s,
            s.post(self.upstream + request.path_qs, data=body, headers=headers) as r,
        ):
            data = self.rewrite(op, await r.read())
            out = web.Response(status=r.status, body=data, content_type="application/soap+xml")
            if "WWW-Authenticate" in r.headers:
                out.headers["WWW-Authenticate"] = r.headers["WWW-Authenticate"]
            return out

    def ops(self) -> list[str]:
        return [op for op, _ in self.seen]


@asynccontextmanager
async def serve_app(app: web.Application, lingering_time: float = 10.0) -> AsyncIterator[str]:
    """Run an aiohttp app on a free loopback port; yields its base URL.

    `lingering_time` is aiohttp's (its default): how long a handler that did not read the
    whole body keeps reading it after answering, which `runner.cleanup()` waits for.
    """
    runner = web.AppRunner(app, access_log=None, lingering_time=lingering_time)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def quirk_proxy(upstream: str) -> AsyncIterator[QuirkProxy]:
    proxy = QuirkProxy(upstream)
    app = web.Application()
    app.router.add_post("/{tail:.*}", proxy.handle)
    async with serve_app(app) as url:
        proxy.url = url
        yield proxy


def intercom_target(url: str, mode: str = "pullpoint") -> OnvifTarget:
    """The gate intercom of the example site, at ``url``, with the default rules."""
    return OnvifTarget(
        device_id="GATE-INTERCOM-01",
        location="MAIN-GATE",
        url=url,
        username=ADMIN,
        password=ADMIN_PW,
        rules=DEFAULT_RULES,
        mode=mode,
    )


@dataclass
class Hosted:
    host: DeviceHost
    device: VirtualDevice
    hosted: HostedDevice

    @property
    def url(self) -> str:
        return self.hosted.device_service_url

    def target(self, url: str | None = None, mode: str = "pullpoint") -> OnvifTarget:
        return intercom_target(url or self.url, mode)

    def reboot(self) -> None:
        """The device forgets every subscription (as after a power cycle)."""
        table = self.device.events.table
        for sub in list(table):
            table.unsubscribe(sub.sub_id)
            if sub.listener is not None:
                sub.listener()


@asynccontextmanager
async def hosted_intercom(
    port: int | None = 0, clock_offset_s: float = 0.0
) -> AsyncIterator[Hosted]:
    host = DeviceHost()
    offset = timedelta(seconds=clock_offset_s)
    device = VirtualDevice(ptz_intercom(), clock=lambda: datetime.now(UTC) + offset)
    hosted = await host.add(device, port)
    try:
        yield Hosted(host, device, hosted)
    finally:
        await host.close()


async def wait_until(
    cond: Callable[[], bool],
    timeout_s: float = 10.0,
    what: str = "",
    clock: ManualClock | None = None,
) -> None:
    """Poll ``cond`` every 20 ms (5 ms with a clock); fail the test after ``timeout_s`` of
    real time. With ``clock``, virtual time flies meanwhile: whenever a task sleeps on it,
    the clock jumps to the earliest wake-up (waits for I/O still take real time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        if clock is None:
            await asyncio.sleep(0.02)
            continue
        await asyncio.sleep(0.005)
        jump = clock.next_deadline
        if jump is not None:
            clock.advance(jump)
