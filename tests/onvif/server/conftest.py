"""A running DeviceHost with one PTZ intercom on its own loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost, HostedDevice
from tests.onvif.server.sites import ptz_intercom


@dataclass
class Served:
    host: DeviceHost
    device: VirtualDevice
    hosted: HostedDevice

    @property
    def port(self) -> int:
        return int(self.hosted.base_url.rsplit(":", 1)[1])


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    host = DeviceHost()
    device = VirtualDevice(ptz_intercom())
    hosted = await host.add(device)
    try:
        yield Served(host, device, hosted)
    finally:
        await host.close()
