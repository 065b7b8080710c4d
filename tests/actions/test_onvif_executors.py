"""preset / home / relay / door executors against our virtual device server on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from callpoint.action_payloads import DoorPayload, HomePayload, Payload, PresetPayload, RelayPayload
from callpoint.actions.executor import Executor
from callpoint.actions.onvif_devices import OnvifDevicePool
from callpoint.actions.onvif_io import OnvifIoExecutor
from callpoint.actions.onvif_ptz import OnvifPtzExecutor
from callpoint.config.loader import parse_site
from callpoint.model import Action, new_id, utc_now
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.host import DeviceHost
from callpoint.onvif.server.model import DoorMode, PTZVector, RelayLogicalState, RelayMode
from tests.ingress.onvifsupport import wait_until
from tests.onvif.server.sites import ADMIN, ADMIN_PW, ptz_intercom

pytestmark = pytest.mark.asyncio

SITE = """
site: {{name: executors}}
consoles: [{{name: dispatch}}]
cameras:
  - {{id: CAM, kind: ptz, onvif: {{url: "{cam}", username: {user}, password: {{env: CP_PW}}}}}}
  - {{id: BADPW, kind: ptz, onvif: {{url: "{cam}", username: {user}, password: {{env: CP_BAD}}}}}}
  - {{id: DOWN, kind: ptz, onvif: {{url: "{down}", username: {user}, password: {{env: CP_PW}}}}}}
  - {{id: NOONVIF, kind: ptz}}
locations:
  - {{tag: GATE, cameras: [CAM], consoles: [dispatch]}}
devices:
  - id: INTERCOM
    kind: intercom
    location: GATE
    onvif: {{url: "{cam}", username: {user}, password: {{env: CP_PW}}}}
  - id: PLAIN
    kind: intercom
    location: GATE
    onvif: {{url: "{plain}", username: {user}, password: {{env: CP_PW}}}}
"""


@dataclass
class Rig:
    cam: VirtualDevice
    plain: VirtualDevice
    ptz: OnvifPtzExecutor
    io: OnvifIoExecutor


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("CP_PW", ADMIN_PW)
    monkeypatch.setenv("CP_BAD", ADMIN_PW + "-wrong")
    host = DeviceHost()
    cam = VirtualDevice(ptz_intercom("cam-1"))
    bistable = ptz_intercom("plain-1")
    bistable = dataclasses.replace(
        bistable,
        doors=(),
        relays=tuple(dataclasses.replace(r, mode=RelayMode.BISTABLE) for r in bistable.relays),
    )
    plain = VirtualDevice(bistable)
    urls = {
        "cam": (await host.add(cam)).device_service_url,
        "plain": (await host.add(plain)).device_service_url,
        "down": f"http://127.0.0.1:{free_port()}/onvif/device_service",
    }
    site = parse_site(SITE.format(user=ADMIN, **urls))
    pool = OnvifDevicePool(lambda: site, timeout_s=2.0)
    try:
        yield Rig(cam, plain, OnvifPtzExecutor(pool), OnvifIoExecutor(pool))
    finally:
        await pool.close()
        await host.close()


def action(target: str, payload: Payload) -> Action:
    return Action(new_id(), payload, target, "ev", None, 10, utc_now())


async def test_preset_moves_the_camera_on_its_first_ptz_profile(rig: Rig) -> None:
    outcome = await rig.ptz.execute(action("CAM", PresetPayload("2")))
    assert outcome.ok, outcome.detail
    assert rig.cam.current_preset == "2"
    assert "GotoPreset 2 on profile main" in outcome.detail


async def test_home_uses_the_home_preset_when_given_else_the_home_position(rig: Rig) -> None:
    assert (await rig.ptz.execute(action("CAM", HomePayload(preset="1")))).ok
    assert rig.cam.current_preset == "1"
    outcome = await rig.ptz.execute(action("CAM", HomePayload()))
    assert outcome.ok and "GotoHomePosition" in outcome.detail
    assert rig.cam.current_preset is None and rig.cam.position == PTZVector()


async def test_unknown_preset_is_a_refusal_not_retried(rig: Rig) -> None:
    outcome = await rig.ptz.execute(action("CAM", PresetPayload("99")))
    assert not outcome.ok and not outcome.retry
    assert "device refused" in outcome.detail


async def test_wrong_password_fails_clearly_without_retry(rig: Rig) -> None:
    outcome = await rig.ptz.execute(action("BADPW", PresetPayload("1")))
    assert not outcome.ok and not outcome.retry
    assert "not authorized" in outcome.detail and "ONVIF user" in outcome.detail


async def test_unreachable_camera_is_retried(rig: Rig) -> None:
    outcome = await rig.ptz.execute(action("DOWN", PresetPayload("1")))
    assert not outcome.ok and outcome.retry
    assert "preset DOWN" in outcome.detail


async def test_target_without_endpoint_fails_at_once(rig: Rig) -> None:
    for executor, payload in ((rig.ptz, HomePayload()), (rig.io, RelayPayload())):
        outcome = await executor.execute(action("NOONVIF", payload))
        assert (outcome.ok, outcome.retry) == (False, False)
        assert outcome.detail == "no ONVIF endpoint configured for NOONVIF"


async def test_relay_pulse_energises_then_releases(rig: Rig) -> None:
    seen: list[RelayLogicalState] = []
    rig.plain.relay_observers.append(lambda token, state: seen.append(state))
    run = asyncio.create_task(rig.io.execute(action("PLAIN", RelayPayload("1", "pulse", 0.3))))
    await wait_until(lambda: seen == [RelayLogicalState.ACTIVE], what="relay on")
    outcome = await run
    assert outcome.ok and "door-relay pulsed 0.3 s" in outcome.detail
    assert seen == [RelayLogicalState.ACTIVE, RelayLogicalState.INACTIVE]


async def test_relay_on_and_off_by_token(rig: Rig) -> None:
    # pulse_s is read for a pulse only: a rule's long pulse_s does not refuse an "on".
    on = action("PLAIN", RelayPayload("door-relay", "on", pulse_s=60.0))
    assert (await rig.io.execute(on)).ok
    assert rig.plain.relay_states["door-relay"] is RelayLogicalState.ACTIVE
    off = action("PLAIN", RelayPayload("door-relay", "off"))
    assert (await rig.io.execute(off)).ok
    # .get(): a fresh read (mypy would keep the value narrowed by the assert above)
    assert rig.plain.relay_states.get("door-relay") is RelayLogicalState.INACTIVE


async def test_unknown_relay_names_what_the_device_has(rig: Rig) -> None:
    outcome = await rig.io.execute(action("PLAIN", RelayPayload("7", "on")))
    assert not outcome.ok and not outcome.retry
    assert "no relay output '7' (device has door-relay)" in outcome.detail


async def test_door_uses_door_control_when_offered(rig: Rig) -> None:
    modes: list[DoorMode] = []
    rig.cam.door_observers.append(lambda token, mode: modes.append(mode))
    pulse = await rig.io.execute(action("INTERCOM", DoorPayload(mode="pulse", pulse_s=0.2)))
    assert pulse.ok and "AccessDoor" in pulse.detail
    assert modes[0] is DoorMode.ACCESSED
    assert (await rig.io.execute(action("INTERCOM", DoorPayload(mode="on")))).ok
    assert rig.cam.door_modes["door-1"] is DoorMode.UNLOCKED
    assert (await rig.io.execute(action("INTERCOM", DoorPayload(mode="off")))).ok
    assert rig.cam.door_modes.get("door-1") is DoorMode.LOCKED


async def test_door_without_door_control_pulses_the_relay(rig: Rig) -> None:
    outcome = await rig.io.execute(action("PLAIN", DoorPayload(mode="pulse", pulse_s=0.1)))
    assert outcome.ok and "(no DoorControl door)" in outcome.detail
    # .get(): a fresh read (mypy would keep the value narrowed by the assert above)
    assert rig.plain.relay_states.get("door-relay") is RelayLogicalState.INACTIVE


async def test_bad_payloads_fail_without_contacting_the_device(rig: Rig) -> None:
    outcome = await rig.io.execute(action("PLAIN", RelayPayload(mode="pulse", pulse_s=25.0)))
    assert not outcome.ok and outcome.detail == "bad relay action: mode 'pulse', pulse_s 25"
    outcome = await rig.ptz.execute(action("CAM", PresetPayload("")))
    assert not outcome.ok and "without a preset" in outcome.detail


async def test_an_action_of_another_kind_is_refused(rig: Rig) -> None:
    outcome = await rig.ptz.execute(action("CAM", RelayPayload()))
    assert (outcome.ok, outcome.detail) == (False, "a relay action is not a PTZ move")
    outcome = await rig.io.execute(action("PLAIN", HomePayload()))
    assert (outcome.ok, outcome.detail) == (False, "a home action is not a relay or door")


async def test_closing_the_executors_leaves_their_shared_pool_working(rig: Rig) -> None:
    executors: list[Executor] = [rig.ptz, rig.io]
    for executor in executors:
        await executor.close()
    assert (await rig.ptz.execute(action("CAM", PresetPayload("2")))).ok
    assert (await rig.io.execute(action("PLAIN", RelayPayload("door-relay", "on")))).ok
