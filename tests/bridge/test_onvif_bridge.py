"""The bridged phone EXPH-07 as a VMS sees it, through onvif-zeep-async (not our client).

A VMS driver polls a PullPoint and acts on DigitalInput messages with InputToken and
LogicalState, `Initialized` at subscription start and `Changed` afterwards; it pulses a
relay output to open a door. Both directions are driven through a real callpoint server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from callpoint.action_payloads import DoorPayload
from callpoint.bridge.phone_inputs import INPUT_TOKENS, input_changes
from callpoint.model import ActionKind, EventType
from callpoint.server import ServeOptions, Server
from callpoint.sim import SimOptions, Simulator
from onvif import ONVIFCamera  # type: ignore[import-untyped]  # no py.typed
from tests import factories as f
from tests.conftest import EXAMPLE_SITE

BRIDGE_PW = "bridge-pw-1"
DIGITAL_INPUT = "tns1:Device/Trigger/DigitalInput"


@pytest.fixture
def options(tmp_path: Path, site_env: None, monkeypatch: pytest.MonkeyPatch) -> ServeOptions:
    """The example site with a bridge password, on free ports."""
    monkeypatch.setenv("CALLPOINT_BRIDGE_PASSWORD", BRIDGE_PW)
    config = tmp_path / "site.yaml"
    text = EXAMPLE_SITE.read_text()
    assert "\nonvif_bridge:\n" in text
    password = "  password: {env: CALLPOINT_BRIDGE_PASSWORD}\n"
    config.write_text(text.replace("\nonvif_bridge:\n", "\nonvif_bridge:\n" + password))
    return ServeOptions(config, tmp_path / "cp.db", listen="127.0.0.1:0")


@pytest_asyncio.fixture
async def server(options: ServeOptions) -> AsyncIterator[Server]:
    srv = Server(options)
    await srv.start()
    yield srv
    await srv.stop()


@pytest_asyncio.fixture
async def camera(server: Server) -> AsyncIterator[ONVIFCamera]:
    [bridged] = server.bridge.devices
    assert bridged.device_id == "EXPH-07"
    port = urlsplit(bridged.url).port
    cam = ONVIFCamera("127.0.0.1", port, "admin", BRIDGE_PW, no_cache=True, adjust_time=True)
    await cam.update_xaddrs()
    try:
        yield cam
    finally:
        await cam.close()


def _inputs(messages: list[Any]) -> dict[str, tuple[str, str, dict[str, str]]]:
    """InputToken -> (operation, LogicalState, all Source items), last message wins."""
    out = {}
    for m in messages:
        if m.Topic._value_1 != DIGITAL_INPUT:
            continue
        msg = m.Message._value_1
        source = {i.Name: i.Value for i in msg.Source.SimpleItem}
        data = {i.Name: i.Value for i in msg.Data.SimpleItem}
        out[source["InputToken"]] = (msg.PropertyOperation, data["LogicalState"], source)
    return out


@pytest.mark.asyncio
async def test_phone_sos_is_a_changed_digital_input_for_a_pullpoint_subscriber(
    server: Server, camera: ONVIFCamera
) -> None:
    devicemgmt = await camera.create_devicemgmt_service()
    info = await devicemgmt.GetDeviceInformation()
    assert (info.Manufacturer, info.SerialNumber) == ("callpoint", "CP-EXPH-07")
    manager = await camera.create_pullpoint_manager(dt.timedelta(seconds=60), lambda: None)
    try:
        pullpoint = manager.get_service()
        first = await pullpoint.PullMessages(
            {"MessageLimit": 100, "Timeout": dt.timedelta(seconds=1)}
        )
        initial = _inputs(first.NotificationMessage)
        assert set(initial) == set(INPUT_TOKENS)
        assert initial["sos"][:2] == ("Initialized", "false")
        assert initial["sos"][2]["Location"] == "TANKFARM-EAST-POST-07"

        # The phone presses SOS: a signed webhook into callpoint, then out over ONVIF.
        options = SimOptions(callpoint_url=server.url, media=False)
        async with Simulator(server.site.config, options) as sim:
            result = await sim.press("EXPH-07", "sos")
        assert result.delivery is not None and result.delivery.status == 202
        second = await pullpoint.PullMessages(
            {"MessageLimit": 100, "Timeout": dt.timedelta(seconds=5)}
        )
        changed = _inputs(second.NotificationMessage)
        assert set(changed) == {"sos"}
        operation, state, source = changed["sos"]
        assert (operation, state) == ("Changed", "true")
        assert list(source) == ["InputToken", "Location"]  # drivers key on InputToken first
        assert source["Location"] == "TANKFARM-EAST-POST-07"
    finally:
        await manager.shutdown()


@pytest.mark.asyncio
async def test_vms_relay_output_writes_a_door_action_for_the_phone(
    server: Server, camera: ONVIFCamera
) -> None:
    devicemgmt = await camera.create_devicemgmt_service()
    relays = await devicemgmt.GetRelayOutputs()
    assert [r.token for r in relays] == ["relay"]
    assert relays[0].Properties.Mode == "Monostable"
    await devicemgmt.SetRelayOutputState({"RelayOutputToken": "relay", "LogicalState": "active"})
    for _ in range(100):  # the action is committed by a task the relay observer starts
        doors = [a for a in await server.store.actions() if a.kind is ActionKind.DOOR]
        if doors:
            break
        await asyncio.sleep(0.02)
    [door] = doors
    assert door.target == "EXPH-07"
    release = f.payload(door, DoorPayload)
    assert (release.output, release.mode, release.by) == ("1", "pulse", "onvif-bridge")
    audit = await server.store.audit()
    assert any(r.action == "release_door" and r.subject == "EXPH-07" for r in audit)


def test_call_states_drive_hook_and_call_inputs() -> None:
    assert [(c.token, c.active) for c in input_changes(EventType.CALL_ENDED)] == [
        ("call_connected", False),
        ("off_hook", False),
    ]
    assert all(c.momentary for c in input_changes(EventType.TAMPER))
    assert input_changes(EventType.MOTION) == ()


@pytest.mark.asyncio
async def test_inputs_follow_callpoint_events_and_survive_a_restart(
    options: ServeOptions,
) -> None:
    server = Server(options)
    await server.start()
    try:
        phone = server.bridge.onvif["EXPH-07"]
        sim_options = SimOptions(callpoint_url=server.url, media=False)
        async with Simulator(server.site.config, sim_options) as sim:
            for event in ("off_hook", "call_connected", "sos", "tamper"):
                await sim.press("EXPH-07", event)
            assert phone.inputs == {
                "off_hook": True,
                "call_connected": True,
                "sos": True,
                "tamper": True,  # momentary: false again 5 s later
                "fault": False,
            }
            await sim.press("EXPH-07", "call_ended")
            assert (phone.inputs["off_hook"], phone.inputs["call_connected"]) == (False, False)
    finally:
        await server.stop()
    # A restart: the SOS incident is still open, so the SOS input starts true.
    again = Server(options)
    await again.start()
    try:
        restored = again.bridge.onvif["EXPH-07"]
        assert restored.inputs["sos"] is True
        assert restored.inputs["off_hook"] is False
    finally:
        await again.stop()
