"""The simulated I/O module, read and written by a real pymodbus client."""

from __future__ import annotations

import pytest
from pymodbus.client import AsyncModbusTcpClient

from callpoint.model import EventType
from callpoint.sim import IoModuleSim, PressError, SimKind
from callpoint.sim.plan import DevicePlan

pytestmark = pytest.mark.asyncio

PLAN = DevicePlan("IO-1", SimKind.IO_MODULE, "POST-03", io_inputs=8)


async def test_inputs_and_coils_over_modbus_tcp() -> None:
    module = IoModuleSim(PLAN)
    await module.start()
    client = AsyncModbusTcpClient("127.0.0.1", port=module.port)
    try:
        assert await client.connect()
        await module.press(EventType.INPUT_ACTIVE, 2)
        await module.press(EventType.INPUT_ACTIVE, 5)
        await module.press(EventType.INPUT_INACTIVE, 5)
        reply = await client.read_discrete_inputs(0, count=8, device_id=1)
        assert not reply.isError()
        assert reply.bits[:8] == [False, False, True, False, False, False, False, False]

        await client.write_coil(1, True, device_id=1)  # the beacon
        reply = await client.read_coils(0, count=8, device_id=1)
        assert reply.bits[:8] == [False, True, False, False, False, False, False, False]
        assert await module.coils() == reply.bits[:8]
        assert [(w.address, w.values) for w in module.coil_writes] == [(1, (True,))]
    finally:
        client.close()
        await module.close()


async def test_input_out_of_range_is_refused() -> None:
    module = IoModuleSim(PLAN)
    await module.start()
    try:
        with pytest.raises(PressError):
            await module.press(EventType.INPUT_ACTIVE, 8)
        with pytest.raises(PressError):
            await module.press(EventType.SOS, 0)
    finally:
        await module.close()
