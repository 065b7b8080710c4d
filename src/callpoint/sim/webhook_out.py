"""Simulated devices report to callpoint the way real ones do: signed webhooks.

One worker task per simulator sends in order (an off-hook must arrive before its
call_connected), tries a few times while callpoint is unreachable, and keeps the last
outcomes for the control page and the tests. A device authenticates with its own secret
or bearer token when the site gives it one, else with the site-wide secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from dataclasses import dataclass, field

import aiohttp

from callpoint.config.models import SiteConfig
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now

log = logging.getLogger(__name__)

#: Attempts per event while callpoint is unreachable or answers 5xx.
SEND_ATTEMPTS = 3
#: Pause between attempts, in seconds.
RETRY_DELAY_S = 0.5
#: Per-request timeout, in seconds.
REQUEST_TIMEOUT_S = 5.0
#: Events waiting to be sent; beyond this a press fails at once rather than piling up.
MAX_QUEUED = 1000
#: Outcomes remembered for the control page.
MAX_OUTCOMES = 200


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one event sent to callpoint."""

    device_id: str
    event_type: str
    status: int  # HTTP status, 0 when callpoint could not be reached
    incident_id: str | None = None
    detail: str = ""

    @property
    def accepted(self) -> bool:
        """callpoint took the event (it answers 202 once the event is durable)."""
        return self.status in (200, 202)


@dataclass(slots=True)
class _Job:
    device_id: str
    event_type: str
    location: str | None
    done: asyncio.Future[Delivery] = field(repr=False)


class DeviceAuth:
    """The webhook credentials of each device of a site."""

    def __init__(self, config: SiteConfig) -> None:
        site = config.webhook.secret
        self._site_secret = site.value.get_secret_value() if site is not None else None
        self._secrets: dict[str, str] = {}
        self._tokens: dict[str, str] = {}
        for dev in config.devices:
            if dev.webhook is not None and dev.webhook.secret is not None:
                self._secrets[dev.id] = dev.webhook.secret.value.get_secret_value()
            if dev.webhook is not None and dev.webhook.token is not None:
                self._tokens[dev.id] = dev.webhook.token.value.get_secret_value()

    def headers(self, device_id: str, body: bytes) -> dict[str, str]:
        """The device's own secret, else its bearer token, else the site-wide secret."""
        secret = self._secrets.get(device_id)
        token = self._tokens.get(device_id)
        if secret is None and token is None:
            secret = self._site_secret
        if secret is not None:
            return signed_headers(secret, body, utc_now())
        if token is not None:
            return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return {"Content-Type": "application/json"}  # callpoint will refuse it, visibly


class WebhookOut:
    """Sends device events to `<url>/api/v1/events`; a no-op recorder when url is None."""

    def __init__(self, url: str | None, auth: DeviceAuth) -> None:
        self.url = url.rstrip("/") + "/api/v1/events" if url else None
        self._auth = auth
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(MAX_QUEUED)
        self._task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self.outcomes: deque[Delivery] = deque(maxlen=MAX_OUTCOMES)

    async def start(self) -> None:
        """Start the sender task (only when there is somewhere to send)."""
        if self.url is not None and self._task is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            )
            self._task = asyncio.create_task(self._run(), name="sim-webhooks")

    async def retarget(self, url: str) -> None:
        """Send to callpoint at `url` from now on (it started after the devices)."""
        self.url = url.rstrip("/") + "/api/v1/events"
        await self.start()

    async def close(self) -> None:
        """Stop sending; queued events are dropped (their futures cancelled)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            self._queue.get_nowait().done.cancel()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def send(
        self, device_id: str, event_type: str, location: str | None = None
    ) -> asyncio.Future[Delivery]:
        """Queue one event; the future resolves with its delivery."""
        done: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        if self.url is None:
            done.set_result(Delivery(device_id, event_type, 0, detail="no callpoint URL"))
            return done
        try:
            self._queue.put_nowait(_Job(device_id, event_type, location, done))
        except asyncio.QueueFull:
            done.set_result(Delivery(device_id, event_type, 0, detail="send queue full"))
        return done

    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            delivery = await self._deliver(job)
            self.outcomes.append(delivery)
            if not job.done.done():
                job.done.set_result(delivery)

    async def _deliver(self, job: _Job) -> Delivery:
        assert self._http is not None and self.url is not None
        body = event_body(job.device_id, job.event_type, utc_now(), location=job.location)
        detail = ""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                headers = self._auth.headers(job.device_id, body)
                async with self._http.post(self.url, data=body, headers=headers) as resp:
                    text = await resp.text()
                    if resp.status < 500:
                        return _delivery(job, resp.status, text)
                    detail = f"HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                detail = f"{type(exc).__name__}: {exc}"
            log.warning(
                "webhook %s %s attempt %d: %s", job.device_id, job.event_type, attempt, detail
            )
            await asyncio.sleep(RETRY_DELAY_S)
        return Delivery(job.device_id, job.event_type, 0, detail=detail)


def _delivery(job: _Job, status: int, text: str) -> Delivery:
    try:
        answer = json.loads(text)
    except json.JSONDecodeError:
        answer = None
    incident = answer.get("incident_id") if isinstance(answer, dict) else None
    detail = "" if status in (200, 202) else text[:200]
    return Delivery(
        job.device_id,
        job.event_type,
        status,
        incident if isinstance(incident, str) else None,
        detail,
    )
