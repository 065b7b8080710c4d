"""The virtual device model: relays, doors, PTZ, inputs and their events, on a fake clock."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.device_errors import InvalidValueError, UnknownTokenError
from callpoint.onvif.server.model import (
    DeviceConfig,
    DeviceIdentity,
    DeviceProfile,
    DeviceUser,
    DigitalInputConfig,
    DoorConfig,
    DoorMode,
    MediaProfile,
    PTZPreset,
    PTZVector,
    RelayLogicalState,
    RelayMode,
    RelayOutputConfig,
)
from callpoint.onvif.server.subscriptions import SubscriptionKind
from callpoint.onvif.server.topics import PropertyOperation, SimpleItem


@dataclass
class FakeTimer:
    at: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class FakeTime:
    now: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    timers: list[FakeTimer] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now

    def schedule(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now.timestamp() + delay, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        for timer in list(self.timers):
            if not timer.cancelled and timer.at <= self.now.timestamp():
                self.timers.remove(timer)
                timer.callback()


def make_device(t: FakeTime) -> VirtualDevice:
    config = DeviceConfig(
        device_id="gate",
        identity=DeviceIdentity("callpoint", "Intercom", "1.0", "SN1", "HW1"),
        users=(DeviceUser("admin", "pw"),),
        profiles=(DeviceProfile.S, DeviceProfile.T, DeviceProfile.C),
        name="Main gate",
        location="GATE-MAIN",
        media_profiles=(MediaProfile("main", "Main", with_ptz=True),),
        ptz_presets=(PTZPreset("1", "Gate", PTZVector(0.5, 0.1, 0.2)),),
        relays=(RelayOutputConfig("door", RelayMode.MONOSTABLE, 2.0),),
        inputs=(DigitalInputConfig("button"),),
        doors=(DoorConfig("D1", "Gate door", access_time_s=3.0),),
    )
    return VirtualDevice(config, clock=t.clock, scheduler=t.schedule)


def test_monostable_relay_falls_back_after_delay_and_reports_both_changes() -> None:
    t = FakeTime()
    device = make_device(t)
    seen: list[tuple[str, RelayLogicalState]] = []
    device.relay_observers.append(lambda token, state: seen.append((token, state)))
    sub = device.events.subscribe(SubscriptionKind.PULL_POINT, None)
    sub.take(100)
    device.set_relay("door", RelayLogicalState.ACTIVE)
    t.advance(1.9)
    assert device.relay_states["door"] is RelayLogicalState.ACTIVE
    t.advance(0.2)
    assert device.relay_states["door"].value == "inactive"  # mypy narrowed it to ACTIVE
    assert seen == [("door", RelayLogicalState.ACTIVE), ("door", RelayLogicalState.INACTIVE)]
    messages = sub.take(10)
    assert [m.operation for m in messages] == [PropertyOperation.CHANGED] * 2
    assert [m.data for m in messages] == [
        (SimpleItem("LogicalState", "active"),),
        (SimpleItem("LogicalState", "inactive"),),
    ]


def test_unknown_relay_is_refused() -> None:
    with pytest.raises(UnknownTokenError):
        make_device(FakeTime()).set_relay("nope", RelayLogicalState.ACTIVE)


def test_access_door_relocks_and_lock_cancels_the_timer() -> None:
    t = FakeTime()
    device = make_device(t)
    device.access_door("D1")
    assert device.door("D1") is DoorMode.ACCESSED
    t.advance(3.1)
    assert device.door("D1") is DoorMode.LOCKED
    device.unlock_door("D1")
    t.advance(60)
    assert device.door("D1") is DoorMode.UNLOCKED
    with pytest.raises(InvalidValueError):
        device.access_door("D1", 0)


def test_goto_preset_moves_and_notifies_the_overlay() -> None:
    t = FakeTime()
    device = make_device(t)
    seen: list[str | None] = []
    device.preset_observers.append(lambda token, _pos: seen.append(token))
    device.goto_preset("1")
    assert device.position == PTZVector(0.5, 0.1, 0.2)
    device.goto_home()
    assert seen == ["1", None]
    token = device.set_preset("Fence", None)
    assert device.presets[token].position == PTZVector()
    device.remove_preset(token)
    with pytest.raises(UnknownTokenError):
        device.goto_preset(token)
    with pytest.raises(InvalidValueError):
        device.set_preset("x" * 65, None)
    with pytest.raises(InvalidValueError):
        device.set_preset("Gate", None)  # names are unique


def test_digital_input_sends_initialized_then_changed_with_input_token() -> None:
    t = FakeTime()
    device = make_device(t)
    sub = device.events.subscribe(SubscriptionKind.PULL_POINT, None)
    initial = [m for m in sub.take(100) if m.topic == "Device/Trigger/DigitalInput"]
    assert len(initial) == 1
    assert initial[0].operation is PropertyOperation.INITIALIZED
    assert initial[0].source == (SimpleItem("InputToken", "button"),)
    t.advance(1)
    device.set_input("button", True)
    device.set_input("button", True)  # no change: nothing sent
    (changed,) = sub.take(100)
    assert changed.operation is PropertyOperation.CHANGED
    assert changed.data == (SimpleItem("LogicalState", "true"),)
    assert changed.utc_time == t.now


def test_scopes_announce_profiles_name_and_location() -> None:
    scopes = make_device(FakeTime()).scopes()
    assert "onvif://www.onvif.org/Profile/Streaming" in scopes
    assert "onvif://www.onvif.org/Profile/C" in scopes
    assert "onvif://www.onvif.org/name/Main%20gate" in scopes
    assert "onvif://www.onvif.org/location/GATE-MAIN" in scopes
    assert "onvif://www.onvif.org/type/ptz" in scopes


def test_media_uris_are_injected_and_timers_cancelled_on_close() -> None:
    t = FakeTime()
    device = make_device(t)
    device.set_media_uris("main", "rtsp://127.0.0.1:9554/gate", "http://127.0.0.1:9080/gate.jpg")
    assert device.media_profile("main").stream_uri == "rtsp://127.0.0.1:9554/gate"
    with pytest.raises(UnknownTokenError):
        device.set_media_uris("nope", "rtsp://x", "")
    doors: list[DoorMode] = []
    device.door_observers.append(lambda _token, mode: doors.append(mode))
    device.access_door("D1")
    device.set_relay("door", RelayLogicalState.ACTIVE)
    device.close()
    t.advance(60)
    assert doors == [DoorMode.ACCESSED]
    assert device.relay_states["door"] is RelayLogicalState.ACTIVE


def test_access_points_follow_doors_and_report_state() -> None:
    device = make_device(FakeTime())
    assert device.access_points == {"AP_D1": True}
    sub = device.events.subscribe(SubscriptionKind.PULL_POINT, None)
    sub.take(100)
    device.set_access_point("AP_D1", False)
    (changed,) = sub.take(10)
    assert changed.topic == "AccessPoint/State/Enabled"
    assert changed.data == (SimpleItem("State", "false"),)
    with pytest.raises(UnknownTokenError):
        device.set_access_point("AP_nope", True)


def test_the_device_model_does_not_load_the_web_framework() -> None:
    code = (
        "import sys; import callpoint.onvif.server.device, callpoint.onvif.server.broker; "
        "print('aiohttp' in sys.modules, 'asyncio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False"
