"""Which simulated device each part of a site becomes."""

from __future__ import annotations

from callpoint.config import Site
from callpoint.sim import SimKind, VmsFlavour, plan_site


def test_example_site_has_every_kind(example_site: Site) -> None:
    plans = {p.device_id: p for p in plan_site(example_site.config)}
    assert {p.kind for p in plans.values()} == set(SimKind)
    assert plans["EXPH-07"].kind is SimKind.PHONE  # bridged phones are still phones here
    assert plans["TANKFARM-EAST-PTZ-01"].kind is SimKind.PTZ_CAMERA
    assert plans["TANKFARM-EAST-FIX-02"].kind is SimKind.CAMERA
    assert {plans["VMS-MILESTONE"].vms, plans["VMS-NX"].vms} == set(VmsFlavour)


def test_intercom_serves_its_own_camera(example_site: Site) -> None:
    plans = {p.device_id: p for p in plan_site(example_site.config)}
    intercom = plans["GATE-INTERCOM-01"]
    assert intercom.camera is not None
    assert intercom.camera.camera_id == "MAIN-GATE-INTERCOM-CAM"
    assert "MAIN-GATE-INTERCOM-CAM" not in plans  # not a second ONVIF device


def test_ptz_plan_carries_presets_and_location(example_site: Site) -> None:
    plans = {p.device_id: p for p in plan_site(example_site.config)}
    ptz = plans["MAIN-GATE-PTZ-03"]
    assert ptz.camera is not None and ptz.camera.ptz
    assert dict(ptz.camera.presets) == {"1": "Home", "4": "Barrier", "5": "Lay-by"}
    assert ptz.camera.home_preset == "1"
    assert ptz.location == "MAIN-GATE"
    assert plans["IO-EAST-01"].io_inputs >= 8
