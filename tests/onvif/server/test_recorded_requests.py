"""Requests recorded from onvif-zeep-async, fed byte for byte to the transport-free endpoint.

The device clock is set to each token's Created time, so the recorded UsernameTokens are
checked for real (digest, freshness, nonce) rather than bypassed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from callpoint.codecs.soap import parse_envelope
from callpoint.onvif.namespaces import SOAP_ENV, WSA, WSU
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.dispatch import Service
from callpoint.onvif.server.endpoint import SoapExchange, handle_soap
from callpoint.onvif.server.runtime import DeviceRuntime
from callpoint.onvif.server.xsdtime import parse_datetime
from tests.onvif.server.sites import ptz_intercom

pytestmark = pytest.mark.asyncio

FIXTURES = Path(__file__).parents[2] / "fixtures" / "onvif_requests"
BASE = "http://127.0.0.1:8080"
# Subscription operations need the PullPoint the CreatePullPointSubscription made first.
ORDER = ("device", "deviceio", "media", "ptz", "events", "subscription")
SUBSCRIPTION_ORDER = ("PullMessages", "SetSynchronizationPoint", "Renew", "Unsubscribe")


def recorded() -> list[Path]:
    files = sorted(FIXTURES.glob("zeepasync_*.xml"))

    def key(path: Path) -> tuple[int, int, str]:
        _, service, operation = path.stem.split("_", 2)
        rank = SUBSCRIPTION_ORDER.index(operation) if operation in SUBSCRIPTION_ORDER else 0
        return ORDER.index(service), rank, operation

    return sorted(files, key=key)


def created_at(data: bytes) -> datetime | None:
    text = etree.fromstring(data).findtext(f".//{{{WSU}}}Created")
    return parse_datetime(text) if text else None


class Clock:
    def __init__(self) -> None:
        self.now = datetime.fromisoformat("2026-11-21T07:00:00+00:00")

    def __call__(self) -> datetime:
        return self.now


async def test_every_recorded_request_is_answered() -> None:
    clock = Clock()
    device = VirtualDevice(ptz_intercom(), clock=clock, scheduler=lambda _d, _cb: _NoTimer())
    runtime = DeviceRuntime(device)
    files = recorded()
    assert len(files) >= 20
    sub_id: str | None = None
    for path in files:
        data = path.read_bytes()
        service_name = path.stem.split("_", 2)[1]
        service = (
            Service.SUBSCRIPTION
            if service_name == "subscription"
            else Service(f"{service_name}_service")
        )
        clock.now = created_at(data) or clock.now
        exchange = SoapExchange(
            service, data, BASE, subscription_id=sub_id if service is Service.SUBSCRIPTION else None
        )
        response = await handle_soap(runtime, exchange)
        assert response.status == 200, (path.name, response.body[:300])
        body = parse_envelope(response.body).body
        assert body is not None
        assert etree.QName(body).localname.endswith("Response"), path.name
        if path.stem.endswith("CreatePullPointSubscription"):
            address = body.findtext(f".//{{{WSA}}}Address")
            assert address is not None
            sub_id = address.rsplit("/", 1)[1]
    assert sub_id is not None
    assert len(device.events.table) == 0  # the recorded Unsubscribe ended it


async def test_a_recorded_request_cannot_be_replayed() -> None:
    path = FIXTURES / "zeepasync_ptz_GotoPreset.xml"
    data = path.read_bytes()
    clock = Clock()
    clock.now = created_at(data) or clock.now
    runtime = DeviceRuntime(VirtualDevice(ptz_intercom(), clock=clock))
    exchange = SoapExchange(Service.PTZ, data, BASE)
    first = await handle_soap(runtime, exchange)
    again = await handle_soap(runtime, exchange)
    assert (first.status, again.status) == (200, 400)
    assert runtime.device.current_preset == "2"


@pytest.mark.parametrize("cut", [10, 100, 400])
async def test_truncated_recordings_are_well_formed_faults(cut: int) -> None:
    data = (FIXTURES / "zeepasync_events_CreatePullPointSubscription.xml").read_bytes()[:cut]
    runtime = DeviceRuntime(VirtualDevice(ptz_intercom()))
    response = await handle_soap(runtime, SoapExchange(Service.EVENTS, data, BASE))
    assert response.status == 400
    assert runtime.malformed_requests == 1
    fault = parse_envelope(response.body).body
    assert fault is not None and fault.tag == f"{{{SOAP_ENV}}}Fault"


class _NoTimer:
    def cancel(self) -> None:
        """Nothing was scheduled."""
