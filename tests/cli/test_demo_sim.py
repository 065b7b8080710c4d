"""The demo's site.yaml: the example, pointed at the simulated ONVIF devices."""

from __future__ import annotations

import pytest

from callpoint.cli.demo_sim import SIM_PASSWORD_ENV, demo_site_text
from callpoint.config import Site, parse_site
from callpoint.sim import SimOptions, Simulator
from tests.conftest import EXAMPLE_SITE

pytestmark = pytest.mark.asyncio


async def test_cameras_and_intercom_get_their_simulated_endpoints(
    example_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Simulator(example_site.config, SimOptions(media=False)) as sim:
        monkeypatch.setenv(SIM_PASSWORD_ENV, sim.password)
        text = demo_site_text(EXAMPLE_SITE.read_text(), sim)
        site = parse_site(text, "demo.yaml")
        for camera in site.config.cameras:
            if camera.id == "MAIN-GATE-INTERCOM-CAM":  # served by the intercom
                assert camera.onvif is None
                continue
            assert camera.onvif is not None
            assert str(camera.onvif.url) == sim.devices[camera.id].line().onvif
            assert camera.onvif.password.value.get_secret_value() == sim.password
            assert camera.onvif.event_mode == "off"
        intercom = site.devices["GATE-INTERCOM-01"]
        assert intercom.onvif is not None
        assert str(intercom.onvif.url) == sim.devices["GATE-INTERCOM-01"].line().onvif
        assert site.devices["EXPH-03"].onvif is None
        # Everything else is the example, comments included.
        assert len(site.config.rules) == len(example_site.config.rules)
        assert "# callpoint example site" in text
