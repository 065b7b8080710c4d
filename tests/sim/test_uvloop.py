"""The commands run on uvloop (cli/loop.py): the simulator and our ONVIF client must too."""

from __future__ import annotations

from callpoint.config import Site
from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.transport import SoapHttp
from callpoint.sim import SimOptions, Simulator
from tests.support.peers import UVLOOP, needs


@needs(UVLOOP)
def test_onvif_client_talks_to_a_simulated_camera_on_uvloop(example_site: Site) -> None:
    import uvloop

    async def main() -> str:
        async with Simulator(example_site.config, SimOptions(media=False, password="pw")) as sim:
            line = sim.video("MAIN-GATE-PTZ-03").line()
            assert line.onvif is not None
            async with SoapHttp() as http:
                device = OnvifDevice(line.onvif, "admin", "pw", http=http)
                await device.connect()
                await device.goto_preset("main", "5")
                info = await device.device_information()
            assert sim.video("MAIN-GATE-PTZ-03").overlay == "PRESET 5 Lay-by"
            return info.serial_number

    assert uvloop.run(main()) == "CP-MAIN-GATE-PTZ-03"
