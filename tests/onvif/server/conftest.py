"""A running DeviceHost with one PTZ intercom on its own loopback port."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

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


# Modules that open sockets beyond the device host (consumers, clients, subprocesses).
NETWORK_MODULES = {
    "test_events_http.py",
    "test_host.py",
    "test_kinds.py",
    "test_main.py",
    "test_our_client.py",
    "test_zeep_client.py",
}


@pytest.fixture(autouse=True)
def _collect_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    # tests/onvif/conftest.py makes ResourceWarning an error for every ONVIF test;
    # collecting here pins a leaked socket or pipe on the test that leaked it. A full
    # collection is not free, so only where sockets beyond the device host are opened.
    yield
    if request.path.name in NETWORK_MODULES:
        gc.collect()


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Served]:
    host = DeviceHost()
    device = VirtualDevice(ptz_intercom())
    hosted = await host.add(device)
    try:
        yield Served(host, device, hosted)
    finally:
        await host.close()
