"""The transport-free endpoint under hypothesis: any bytes get a SOAP answer, never a crash."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callpoint.codecs.soap import parse_envelope
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.dispatch import Service
from callpoint.onvif.server.endpoint import SoapExchange, handle_soap
from callpoint.onvif.server.runtime import DeviceRuntime
from tests.onvif.server.sites import ptz_intercom

FIXTURES = Path(__file__).parents[2] / "fixtures" / "onvif_requests"
RECORDED = sorted(p.read_bytes() for p in FIXTURES.glob("zeepasync_*.xml"))


class _NoTimer:
    def cancel(self) -> None:
        """Nothing was scheduled."""


def answer(data: bytes, service: Service) -> tuple[int, bytes]:
    device = VirtualDevice(ptz_intercom(), scheduler=lambda _d, _cb: _NoTimer())
    runtime = DeviceRuntime(device)
    exchange = SoapExchange(service, data, "http://127.0.0.1:1", subscription_id="nope")
    response = asyncio.run(handle_soap(runtime, exchange))
    return response.status, response.body


def mutate(data: bytes, position: int, junk: bytes, cut: bool) -> bytes:
    position %= len(data)
    return data[:position] + junk if cut else data[:position] + junk + data[position + 1 :]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0),
    position=st.integers(min_value=0),
    junk=st.binary(max_size=8),
    cut=st.booleans(),
    service=st.sampled_from(list(Service)),
)
def test_mutated_recordings_always_get_a_soap_envelope(
    index: int, position: int, junk: bytes, cut: bool, service: Service
) -> None:
    data = mutate(RECORDED[index % len(RECORDED)], position, junk, cut)
    status, body = answer(data, service)
    assert status in (200, 400, 401, 500)
    assert parse_envelope(body).body is not None


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_well_formed_faults(data: bytes) -> None:
    status, body = answer(data, Service.DEVICE)
    assert status == 400
    assert parse_envelope(body).body is not None
