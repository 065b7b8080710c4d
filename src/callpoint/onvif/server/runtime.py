"""Per-device runtime: the device model plus what serving it needs (auth state, waiters).

One `DeviceRuntime` per hosted device; the host routes each request to one of them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from callpoint.onvif.replay import NonceCache
from callpoint.onvif.security import DEFAULT_TOLERANCE_S
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.model import UserLevel
from callpoint.onvif.server.subscriptions import Subscription
from callpoint.onvif.server.throttle import AuthThrottle

#: Where each service lives under a device's base URL.
ONVIF_PATH = "/onvif"


def service_url(base_url: str, service: str) -> str:
    """XAddr of a service (a `Service` value) under a device's base URL."""
    return f"{base_url}{ONVIF_PATH}/{service}"


@dataclass(slots=True, eq=False)
class DeviceRuntime:
    """What the host keeps per device."""

    device: VirtualDevice
    prefix: str = ""
    advertised_ip: str = "127.0.0.1"
    realm: str = ""
    digest_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    # A replayed UsernameToken nonce is refused within twice the freshness window.
    ws_nonces: NonceCache = field(default_factory=lambda: NonceCache(2 * DEFAULT_TOLERANCE_S))
    digest_nonces: NonceCache = field(default_factory=lambda: NonceCache(2 * DEFAULT_TOLERANCE_S))
    waiters: dict[str, asyncio.Event] = field(default_factory=dict)
    on_notify_subscription: Callable[[DeviceRuntime, Subscription], None] | None = None
    auth_failures: int = 0
    # Shared by every device of a host; None: no throttling (tests feeding requests in).
    throttle: AuthThrottle | None = None
    malformed_requests: int = 0

    def __post_init__(self) -> None:
        if not self.realm:
            self.realm = f"callpoint-{self.device.device_id}"

    def password_for(self, username: str) -> str | None:
        """The password of a device user (for digest checks), None if no such user."""
        for user in self.device.config.users:
            if user.username == username:
                return user.password
        return None

    def level_of(self, username: str | None) -> UserLevel:
        """The user level of an authenticated user; Anonymous when none."""
        for user in self.device.config.users:
            if user.username == username:
                return user.level
        return UserLevel.ANONYMOUS

    def waiter(self, sub: Subscription) -> asyncio.Event:
        """The event a PullMessages waits on; set when the subscription gets messages."""
        event = self.waiters.get(sub.sub_id)
        if event is None:
            live = {s.sub_id for s in self.device.events.table}
            for gone in [k for k in self.waiters if k not in live]:
                del self.waiters[gone]
            event = asyncio.Event()
            self.waiters[sub.sub_id] = event
            sub.listener = event.set
        return event
