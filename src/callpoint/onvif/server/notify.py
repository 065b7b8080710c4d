"""Base-notification delivery: POST wsnt:Notify to each consumer, never blocking the device.

The device only appends to the subscription's bounded queue (subscriptions.py); one task
per subscription drains it. A consumer that is down or slow costs its own task a timeout;
messages beyond the queue bound, or in a batch whose POST failed, are dropped and counted
on the subscription. The task ends when the subscription expires or is unsubscribed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass

import aiohttp

from callpoint.codecs.soap import build_envelope
from callpoint.onvif.namespaces import WSA
from callpoint.onvif.server.lifecycle import SubscriptionState
from callpoint.onvif.server.runtime import DeviceRuntime
from callpoint.onvif.server.subscriptions import Subscription
from callpoint.onvif.server.svc_events import ACTION_NOTIFY, notify_body, subscription_address
from callpoint.onvif.server.xmlbuild import root

log = logging.getLogger(__name__)

#: Longest one Notify POST may take, in seconds, before its batch is dropped.
NOTIFY_TIMEOUT_S = 3.0
#: Concurrent Notify connections to one consumer host.
NOTIFY_CONNECTIONS_PER_HOST = 16
#: Most messages per Notify.
MAX_NOTIFY_BATCH = 32
#: Times a crashed sender is restarted before its subscription is left to expire.
MAX_RESTARTS = 3
#: First and longest pause after a failed Notify, in seconds (doubling in between).
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0
#: How often an idle sender looks whether its subscription expired, in seconds.
IDLE_CHECK_S = 1.0


@dataclass(slots=True)
class NotifyStats:
    """Counters over all consumers of one dispatcher."""

    sent: int = 0
    failed_posts: int = 0


class NotifyDispatcher:
    """Owns one sender task per base-notification subscription."""

    def __init__(self, base_url_of: dict[str, str]) -> None:
        self._base_url_of = base_url_of
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self.stats = NotifyStats()

    def start(self, runtime: DeviceRuntime, sub: Subscription, restarts: int = 0) -> None:
        """Begin delivering a new subscription's messages."""
        wake = asyncio.Event()
        sub.listener = wake.set
        task = asyncio.create_task(self._run(runtime, sub, wake), name=f"notify-{sub.sub_id}")
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._done, runtime, sub, restarts))

    def _done(
        self, runtime: DeviceRuntime, sub: Subscription, restarts: int, task: asyncio.Task[None]
    ) -> None:
        # Supervision: a sender that crashed is logged and restarted a few times.
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        log.error("Notify sender for %s failed", sub.consumer_address, exc_info=task.exception())
        if sub.state is SubscriptionState.ACTIVE and restarts < MAX_RESTARTS:
            self.start(runtime, sub, restarts + 1)

    @property
    def active(self) -> int:
        """Sender tasks running."""
        return len(self._tasks)

    async def _run(self, runtime: DeviceRuntime, sub: Subscription, wake: asyncio.Event) -> None:
        table = runtime.device.events.table
        address = sub.consumer_address or ""
        reference = subscription_address(
            self._base_url_of.get(runtime.device.device_id, ""), sub.sub_id
        )
        warned = False
        backoff = 0.0
        while True:
            table.sweep()
            if sub.state is not SubscriptionState.ACTIVE:
                return
            if not sub.queue:
                wake.clear()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the
                # cancellation that stops this loop if the wake comes at the same time.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_CHECK_S):
                        await wake.wait()
                continue
            batch = sub.take(MAX_NOTIFY_BATCH)
            header = root(WSA, "Action")
            header.text = ACTION_NOTIFY
            data = build_envelope(notify_body(batch, reference), [header])
            try:
                await self._post(address, data)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                sub.dropped += len(batch)
                self.stats.failed_posts += 1
                if not warned:
                    log.warning("Notify consumer %s unreachable: %s", address, exc)
                    warned = True
                # Back off while the consumer is down; meanwhile messages wait in the
                # bounded queue (the oldest dropped and counted), so the device never waits.
                backoff = min(max(2 * backoff, RETRY_FIRST_S), RETRY_MAX_S)
                await asyncio.sleep(backoff)
            else:
                self.stats.sent += len(batch)
                warned = False
                backoff = 0.0

    async def _post(self, address: str, data: bytes) -> None:
        if self._session is None:
            # No global pool limit: hanging consumers must not starve healthy ones of
            # connections; the per-host limit bounds what one consumer host can hold.
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=NOTIFY_CONNECTIONS_PER_HOST)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=NOTIFY_TIMEOUT_S)
            )
        async with self._session.post(
            address,
            data=data,
            headers={
                "Content-Type": f'application/soap+xml; charset=utf-8; action="{ACTION_NOTIFY}"'
            },
        ) as response:
            await response.read()
            response.raise_for_status()

    async def close(self) -> None:
        """Stop every sender and close the HTTP session."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None


__all__ = ["NotifyDispatcher", "NotifyStats"]
