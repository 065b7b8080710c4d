"""Receivers that record what a VMS would be sent, for the action tests and the demo.

- Milestone XProtect style generic events: a TCP listener taking raw text (a line, or
  an XML document), one or more per connection, separated by CR LF or LF (XProtect's
  default separator bytes 13,10), the last one ended by the sender closing. No echo.
- Nx Witness style HTTP API: `GET` or `POST /api/createEvent` with `source`, `caption`,
  `description` (query string or JSON body), HTTP Basic auth; answers the legacy
  `{"error": "0", "errorString": "", "reply": {}}` envelope.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from callpoint.model import EventType, utc_now
from callpoint.sim.base import DeviceLine, PressResult, StateValue, check_event
from callpoint.sim.plan import DevicePlan, VmsFlavour

log = logging.getLogger(__name__)

#: Largest generic event accepted, in bytes (XProtect's own limit is in this range).
MAX_GENERIC_EVENT_BYTES = 64 * 1024
#: Received calls remembered per receiver.
MAX_RECORDS = 1000
#: An idle generic-event connection is closed after this many seconds.
IDLE_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class VmsCall:
    """One thing a VMS receiver was sent."""

    received_at: datetime
    payload: str
    fields: dict[str, str] = field(default_factory=dict)
    user: str | None = None


class _Receiver:
    def __init__(self, plan: DevicePlan) -> None:
        self.plan = plan
        self.calls: deque[VmsCall] = deque(maxlen=MAX_RECORDS)
        self.changed = asyncio.Event()

    def _record(self, call: VmsCall) -> None:
        self.calls.append(call)
        self.changed.set()

    def state(self) -> dict[str, StateValue]:
        """How many calls arrived, and the last one."""
        last = self.calls[-1].payload[:80] if self.calls else None
        return {"received": len(self.calls), "last": last}

    async def press(self, event: EventType, channel: int | None = None) -> PressResult:
        """Receivers are not pressed."""
        check_event(self.plan, event)
        return PressResult(self.plan.device_id, event)  # pragma: no cover - check raises


class MilestoneReceiver(_Receiver):
    """Generic-event TCP listener."""

    def __init__(self, plan: DevicePlan, bind: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(plan)
        self._bind, self._port = bind, port
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        """Bind and accept."""
        self._server = await asyncio.start_server(self._client, self._bind, self._port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def line(self) -> DeviceLine:
        """Where generic events are sent."""
        return DeviceLine(
            self.plan.device_id, self.plan.kind, url=f"tcp://{self._bind}:{self.port}"
        )

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        try:
            while len(buffer) <= MAX_GENERIC_EVENT_BYTES:
                chunk = await asyncio.wait_for(reader.read(4096), IDLE_TIMEOUT_S)
                if not chunk:
                    break
                buffer += chunk
                *complete, buffer = buffer.split(b"\n")
                for message in complete:
                    self._take(message)
            else:
                log.warning(
                    "%s: generic event over %d bytes dropped",
                    self.plan.device_id,
                    MAX_GENERIC_EVENT_BYTES,
                )
                buffer = b""
        except (TimeoutError, ConnectionError):
            pass
        finally:
            self._take(buffer)
            writer.close()

    def _take(self, message: bytes) -> None:
        text = message.rstrip(b"\r").decode("utf-8", "replace").strip()
        if text:
            self._record(VmsCall(utc_now(), text))

    async def close(self) -> None:
        """Stop accepting."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


class NxReceiver(_Receiver):
    """Nx Witness style `/api/createEvent` endpoint."""

    def __init__(
        self, plan: DevicePlan, username: str, password: str, bind: str = "127.0.0.1"
    ) -> None:
        super().__init__(plan)
        self._bind = bind
        self.username, self.password = username, password
        app = web.Application(client_max_size=MAX_GENERIC_EVENT_BYTES)
        app.router.add_route("*", "/api/createEvent", self._create_event)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = 0

    async def start(self) -> None:
        """Bind and serve."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._bind, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    def line(self) -> DeviceLine:
        """Base URL and credentials."""
        return DeviceLine(
            self.plan.device_id,
            self.plan.kind,
            url=f"http://{self._bind}:{self.port}",
            username=self.username,
            password=self.password,
        )

    def _user(self, request: web.Request) -> str | None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        good = hmac.compare_digest(user, self.username) and hmac.compare_digest(
            password, self.password
        )
        return user if good else None

    async def _create_event(self, request: web.Request) -> web.Response:
        user = self._user(request)
        if user is None:
            return web.Response(
                status=401, headers={"WWW-Authenticate": 'Basic realm="VMS"'}, text="Unauthorized"
            )
        fields = dict(request.query.items())
        body = await request.read()
        if body:
            try:
                data = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                return web.json_response(
                    {"error": "1", "errorString": "body is not JSON"}, status=400
                )
            if isinstance(data, dict):
                fields.update({str(k): str(v) for k, v in data.items()})
        self._record(VmsCall(utc_now(), json.dumps(fields, sort_keys=True), fields, user))
        return web.json_response({"error": "0", "errorString": "", "reply": {}})

    async def close(self) -> None:
        """Stop serving."""
        await self._runner.cleanup()


def make_receiver(
    plan: DevicePlan, username: str, password: str, bind: str = "127.0.0.1"
) -> MilestoneReceiver | NxReceiver:
    """The receiver a VMS plan asks for."""
    if plan.vms is VmsFlavour.MILESTONE:
        return MilestoneReceiver(plan, bind)
    return NxReceiver(plan, username, password, bind)
