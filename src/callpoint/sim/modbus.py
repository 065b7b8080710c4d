"""A simulated Modbus TCP I/O module: discrete inputs (contacts) and coils (beacon, strike).

The pymodbus server (3.16 SimDevice datastore) serves unit id 1 on loopback. `press`
closes or opens a contact (`input_active` / `input_inactive` on channel N); coils are
written by whoever drives the module (callpoint's beacon action) and every write is
recorded, so tests and the control page see what was switched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from callpoint.model import EventType
from callpoint.sim.base import DeviceLine, PressError, PressResult, StateValue, check_event
from callpoint.sim.plan import DevicePlan

log = logging.getLogger(__name__)

UNIT_ID = 1
#: Modbus function codes that write coils (write single coil, write multiple coils).
_WRITE_COILS = frozenset({5, 15})
_READ_COILS = 1
_DISCRETE_INPUTS = 2
#: Coil writes remembered for the control page and the tests.
MAX_COIL_WRITES = 1000


@dataclass(frozen=True, slots=True)
class CoilWrite:
    """One coil write as the module received it."""

    address: int
    values: tuple[bool, ...]


class IoModuleSim:
    """One I/O module on its own loopback port."""

    def __init__(self, plan: DevicePlan, bind: str = "127.0.0.1", port: int = 0) -> None:
        self.plan = plan
        self._bind, self._port = bind, port
        self.channels = plan.io_inputs
        self.coil_writes: list[CoilWrite] = []
        self._server: ModbusTcpServer | None = None
        self.port = 0

    async def start(self) -> None:
        """Bind and serve (the port is known afterwards)."""
        bits = [SimData(0, count=self.channels, values=False, datatype=DataType.BITS)]
        regs = [SimData(0, count=1, values=0, datatype=DataType.REGISTERS)]
        device = SimDevice(
            UNIT_ID,
            simdata=(bits, list(bits), regs, list(regs)),
            action=self._on_access,
        )
        self._server = ModbusTcpServer(device, address=(self._bind, self._port))
        await self._server.serve_forever(background=True)
        transport = self._server.transport
        sockets = getattr(transport, "sockets", None) or ()
        if not sockets:
            raise RuntimeError(f"{self.plan.device_id}: Modbus server did not bind")
        self.port = int(sockets[0].getsockname()[1])
        log.info("I/O module %s on %s:%d", self.plan.device_id, self._bind, self.port)

    async def _on_access(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> None:
        writes = function_code in _WRITE_COILS and set_values is not None
        if writes and set_values is not None and len(self.coil_writes) < MAX_COIL_WRITES:
            self.coil_writes.append(CoilWrite(address, tuple(bool(v) for v in set_values)))

    @property
    def address(self) -> str:
        """host:port of the module."""
        return f"{self._bind}:{self.port}"

    def line(self) -> DeviceLine:
        """Where the module answers Modbus TCP."""
        return DeviceLine(
            self.plan.device_id,
            self.plan.kind,
            location=self.plan.location,
            modbus=self.address,
            events=tuple(e.value for e in self.plan.events),
        )

    async def inputs(self) -> list[bool]:
        """Current discrete input states."""
        return await self._bits(_DISCRETE_INPUTS)

    async def coils(self) -> list[bool]:
        """Current coil states."""
        return await self._bits(_READ_COILS)

    async def _bits(self, function_code: int) -> list[bool]:
        assert self._server is not None
        values = await self._server.context.async_getValues(
            UNIT_ID, function_code, 0, self.channels
        )
        return [bool(v) for v in values] if isinstance(values, list) else []

    def state(self) -> dict[str, StateValue]:
        """Coil writes seen (states are read live by the control page's JSON)."""
        return {"coil writes": len(self.coil_writes)}

    async def press(self, event: EventType, channel: int | None = None) -> PressResult:
        """Close (input_active) or open (input_inactive) contact `channel` (default 0)."""
        check_event(self.plan, event)
        index = 0 if channel is None else channel
        if not 0 <= index < self.channels:
            raise PressError(f"{self.plan.device_id} has inputs 0-{self.channels - 1}")
        assert self._server is not None
        active = event is EventType.INPUT_ACTIVE
        await self._server.context.async_setValues(UNIT_ID, _DISCRETE_INPUTS, index, [active])
        return PressResult(self.plan.device_id, event)

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]  # pymodbus lacks the annotation
            self._server = None
