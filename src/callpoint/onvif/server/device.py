"""`VirtualDevice`: the live state of one simulated ONVIF device, without any I/O.

Services read and change it; observers (the media overlay, the simulator, the bridge)
are called synchronously on every change. Timed behaviour (monostable relays, door
re-lock) goes through an injected `Scheduler`, so tests can drive it by hand.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

from callpoint.onvif.server import topics
from callpoint.onvif.server.broker import EventBroker
from callpoint.onvif.server.device_errors import (
    InvalidValueError,
    TooManyPresetsError,
    UnknownTokenError,
)
from callpoint.onvif.server.model import (
    MAX_PTZ_PRESETS,
    DeviceConfig,
    DeviceProfile,
    DoorMode,
    ImagingSettings,
    MediaProfile,
    PTZPreset,
    PTZVector,
    RelayLogicalState,
    RelayMode,
)
from callpoint.onvif.server.topics import SimpleItem

log = logging.getLogger(__name__)


class Timer(Protocol):
    """What a scheduler returns: something that can be cancelled (asyncio.TimerHandle)."""

    def cancel(self) -> None:
        """Stop the callback from running."""


Scheduler = Callable[[float, Callable[[], None]], Timer]
PresetObserver = Callable[[str | None, PTZVector], None]
RelayObserver = Callable[[str, RelayLogicalState], None]
DoorObserver = Callable[[str, DoorMode], None]
InputObserver = Callable[[str, bool], None]

#: tt:Name is "up to 64 characters" (onvif.xsd).
MAX_NAME_CHARS = 64
PTZ_NODE_TOKEN = "PTZNode_1"  # noqa: S105 - an ONVIF token, not a secret
PTZ_CONFIGURATION_TOKEN = "PTZConfiguration_1"  # noqa: S105 - ONVIF token


def _asyncio_scheduler(delay: float, callback: Callable[[], None]) -> Timer:
    import asyncio  # only the default scheduler needs a loop

    return asyncio.get_running_loop().call_later(delay, callback)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _bool(value: bool) -> str:
    return "true" if value else "false"


class VirtualDevice:
    """State and behaviour of one device; see module docstring."""

    def __init__(
        self,
        config: DeviceConfig,
        *,
        clock: Callable[[], datetime] = _utc_now,
        scheduler: Scheduler = _asyncio_scheduler,
    ) -> None:
        self.config = config
        self.clock = clock
        self._scheduler = scheduler
        self.media_profiles: dict[str, MediaProfile] = {p.token: p for p in config.media_profiles}
        self.imaging = {p.video_source_token: ImagingSettings() for p in config.media_profiles}
        self.presets: dict[str, PTZPreset] = {p.token: p for p in config.ptz_presets or ()}
        self.position = PTZVector()
        self.current_preset: str | None = None
        self.relays = {r.token: r for r in config.relays}
        self.relay_states = {r.token: RelayLogicalState.INACTIVE for r in config.relays}
        self.inputs = {i.token: False for i in config.inputs}
        self._input_sources = {
            i.token: (
                SimpleItem("InputToken", i.token),
                *(SimpleItem(name, value) for name, value in i.extra_source),
            )
            for i in config.inputs
        }
        self.doors = {d.token: d for d in config.doors}
        self.door_modes = {d.token: DoorMode.LOCKED for d in config.doors}
        # One access point per door (Access Control service), enabled at start.
        self.access_points = {access_point_token(d.token): True for d in config.doors}
        self._timers: dict[tuple[str, str], Timer] = {}
        self._preset_seq = len(self.presets)
        self.preset_observers: list[PresetObserver] = []
        self.relay_observers: list[RelayObserver] = []
        self.door_observers: list[DoorObserver] = []
        self.input_observers: list[InputObserver] = []
        self.events = EventBroker(clock, self._topic_set())
        self._initial_states()

    # identity -----------------------------------------------------------------
    @property
    def device_id(self) -> str:
        """Stable identifier (also the WS-Discovery endpoint reference seed)."""
        return self.config.device_id

    @property
    def endpoint_reference(self) -> str:
        """`urn:uuid:` endpoint reference, stable per device id (GetEndpointReference and
        WS-Discovery use the same one, so a VMS recognises the device across restarts)."""
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'callpoint:{self.device_id}')}"

    def scopes(self) -> list[str]:
        """ONVIF scope URIs (ONVIF Core discovery): type, profiles, name, location, hardware."""
        cfg = self.config
        scopes = ["onvif://www.onvif.org/type/video_encoder"] if self.media_profiles else []
        if cfg.has_ptz:
            scopes.append("onvif://www.onvif.org/type/ptz")
        if self.doors:
            scopes.append("onvif://www.onvif.org/type/access_control")
        scopes += [f"onvif://www.onvif.org/Profile/{p.value}" for p in cfg.profiles]
        name = cfg.name or cfg.identity.model
        scopes.append(f"onvif://www.onvif.org/name/{_scope_text(name)}")
        if cfg.location:
            scopes.append(f"onvif://www.onvif.org/location/{_scope_text(cfg.location)}")
        hardware = cfg.hardware_scope or cfg.identity.model
        scopes.append(f"onvif://www.onvif.org/hardware/{_scope_text(hardware)}")
        return scopes + list(cfg.extra_scopes)

    def has_profile(self, profile: DeviceProfile) -> bool:
        """Whether the device claims an ONVIF profile."""
        return profile in self.config.profiles

    # media ----------------------------------------------------------------------
    def media_profile(self, token: str) -> MediaProfile:
        """A media profile by token, or UnknownTokenError."""
        try:
            return self.media_profiles[token]
        except KeyError:
            raise UnknownTokenError("profile", token) from None

    def set_media_uris(self, token: str, stream_uri: str, snapshot_uri: str) -> None:
        """Called by whoever runs the media server once it knows the URLs."""
        profile = self.media_profile(token)
        self.media_profiles[token] = replace(
            profile, stream_uri=stream_uri, snapshot_uri=snapshot_uri
        )

    def imaging_settings(self, video_source: str) -> ImagingSettings:
        """Imaging settings of a video source, or UnknownToken."""
        try:
            return self.imaging[video_source]
        except KeyError:
            raise UnknownTokenError("video source", video_source) from None

    def set_imaging_settings(self, video_source: str, settings: ImagingSettings) -> None:
        """SetImagingSettings: replace the settings of a video source."""
        self.imaging_settings(video_source)
        self.imaging[video_source] = settings

    # PTZ ------------------------------------------------------------------------
    def _require_ptz(self) -> None:
        if not self.config.has_ptz:
            raise UnknownTokenError("PTZ node", PTZ_NODE_TOKEN)

    def goto_preset(self, token: str) -> PTZPreset:
        """Move to a preset (instantly) and tell observers."""
        self._require_ptz()
        try:
            preset = self.presets[token]
        except KeyError:
            raise UnknownTokenError("preset", token) from None
        self._moved(preset.position, token)
        self.events.pulse(
            topics.PTZ_PRESET_REACHED.path,
            (SimpleItem("PTZConfigurationToken", PTZ_CONFIGURATION_TOKEN),),
            (SimpleItem("PresetToken", token), SimpleItem("PresetName", preset.name)),
        )
        return preset

    def goto_home(self) -> None:
        """Move to the home position (the origin of the generic space)."""
        self._require_ptz()
        self._moved(PTZVector(), None)

    def move_to(self, position: PTZVector) -> None:
        """Move to an absolute position; no preset is current afterwards."""
        self._require_ptz()
        self._moved(position, None)

    def set_preset(self, name: str | None, token: str | None) -> str:
        """Store the current position as a preset; returns its token."""
        self._require_ptz()
        if token is not None and token not in self.presets:
            raise UnknownTokenError("preset", token)
        if token is None:
            if len(self.presets) >= MAX_PTZ_PRESETS:
                raise TooManyPresetsError(f"node holds at most {MAX_PTZ_PRESETS} presets")
            self._preset_seq += 1
            token = f"Preset_{self._preset_seq}"
        label = name or (self.presets[token].name if token in self.presets else token)
        if len(label) > MAX_NAME_CHARS:
            raise InvalidValueError(f"preset name longer than {MAX_NAME_CHARS} characters")
        if any(p.name == label and p.token != token for p in self.presets.values()):
            raise InvalidValueError(f"preset name {label!r} already used")
        self.presets[token] = PTZPreset(token, label, self.position)
        return token

    def remove_preset(self, token: str) -> None:
        """Delete a preset; the current preset is forgotten if it was this one."""
        self._require_ptz()
        if self.presets.pop(token, None) is None:
            raise UnknownTokenError("preset", token)
        if self.current_preset == token:
            self.current_preset = None
            self._notify_preset()

    def _moved(self, position: PTZVector, preset: str | None) -> None:
        self.position = position
        self.current_preset = preset
        self._notify_preset()

    def _notify_preset(self) -> None:
        for observer in self.preset_observers:
            observer(self.current_preset, self.position)

    # relays ---------------------------------------------------------------------
    def set_relay(self, token: str, state: RelayLogicalState) -> None:
        """SetRelayOutputState: monostable relays fall back after their DelayTime."""
        try:
            relay = self.relays[token]
        except KeyError:
            raise UnknownTokenError("relay output", token) from None
        self._cancel_timer("relay", token)
        self._relay_changed(token, state)
        if relay.mode is RelayMode.MONOSTABLE and state is RelayLogicalState.ACTIVE:
            self._timers[("relay", token)] = self._scheduler(
                relay.delay_time_s, lambda: self._relay_changed(token, RelayLogicalState.INACTIVE)
            )

    def _relay_changed(self, token: str, state: RelayLogicalState) -> None:
        self._timers.pop(("relay", token), None)
        self.relay_states[token] = state
        self.events.set_property(
            topics.RELAY.path,
            (SimpleItem("RelayToken", token),),
            (SimpleItem("LogicalState", state.value),),
        )
        for observer in self.relay_observers:
            observer(token, state)

    # digital inputs / motion ------------------------------------------------------
    def set_input(self, token: str, active: bool) -> None:
        """Drive a digital input (a call button, an off-hook contact...)."""
        if token not in self.inputs:
            raise UnknownTokenError("digital input", token)
        self.inputs[token] = active
        self.events.set_property(
            topics.DIGITAL_INPUT.path,
            self._input_sources[token],
            (SimpleItem("LogicalState", _bool(active)),),
        )
        for observer in self.input_observers:
            observer(token, active)

    def set_motion(self, video_source: str, active: bool) -> None:
        """Raise or clear the motion alarm of a video source."""
        self.events.set_property(
            topics.MOTION_ALARM.path,
            (SimpleItem("Source", video_source),),
            (SimpleItem("State", _bool(active)),),
        )

    # doors ------------------------------------------------------------------------
    def door(self, token: str) -> DoorMode:
        """Current mode of a door, or UnknownTokenError."""
        try:
            return self.door_modes[token]
        except KeyError:
            raise UnknownTokenError("door", token) from None

    def access_door(self, token: str, access_time_s: float | None = None) -> None:
        """AccessDoor: release for a while, then re-lock (monostable)."""
        self.door(token)
        seconds = self.doors[token].access_time_s if access_time_s is None else access_time_s
        if not 0 < seconds <= 3600:
            raise InvalidValueError(f"access time {seconds} s out of range")
        self._cancel_timer("door", token)
        self._door_changed(token, DoorMode.ACCESSED)
        self._timers[("door", token)] = self._scheduler(
            seconds, lambda: self._door_changed(token, DoorMode.LOCKED)
        )

    def lock_door(self, token: str) -> None:
        """LockDoor."""
        self.door(token)
        self._cancel_timer("door", token)
        self._door_changed(token, DoorMode.LOCKED)

    def unlock_door(self, token: str) -> None:
        """UnlockDoor: stays unlocked until locked."""
        self.door(token)
        self._cancel_timer("door", token)
        self._door_changed(token, DoorMode.UNLOCKED)

    def _door_changed(self, token: str, mode: DoorMode) -> None:
        self._timers.pop(("door", token), None)
        self.door_modes[token] = mode
        self.events.set_property(
            topics.DOOR_MODE.path,
            (SimpleItem("DoorToken", token),),
            (SimpleItem("State", mode.value),),
        )
        for observer in self.door_observers:
            observer(token, mode)

    # access points ------------------------------------------------------------------
    def set_access_point(self, token: str, enabled: bool) -> None:
        """EnableAccessPoint / DisableAccessPoint."""
        if token not in self.access_points:
            raise UnknownTokenError("access point", token)
        self.access_points[token] = enabled
        self.events.set_property(
            topics.ACCESS_POINT_ENABLED.path,
            (SimpleItem("AccessPointToken", token),),
            (SimpleItem("State", _bool(enabled)),),
        )

    # lifecycle --------------------------------------------------------------------
    def close(self) -> None:
        """Cancel pending timers (monostable fall-backs, door re-locks)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _cancel_timer(self, kind: str, token: str) -> None:
        timer = self._timers.pop((kind, token), None)
        if timer is not None:
            timer.cancel()

    def _topic_set(self) -> tuple[topics.TopicDescription, ...]:
        found: list[topics.TopicDescription] = []
        if self.inputs:
            extra = {name for i in self.config.inputs for name, _ in i.extra_source}
            found.append(topics.digital_input_topic(tuple(sorted(extra))))
        if self.relays:
            found.append(topics.RELAY)
        if self.doors:
            found += [topics.DOOR_MODE, topics.ACCESS_POINT_ENABLED]
        if self.config.has_ptz:
            found.append(topics.PTZ_PRESET_REACHED)
        if self.media_profiles:
            found.append(topics.MOTION_ALARM)
        return tuple(found)

    def _initial_states(self) -> None:
        for token in self.inputs:
            self.events.set_property(
                topics.DIGITAL_INPUT.path,
                self._input_sources[token],
                (SimpleItem("LogicalState", "false"),),
            )
        for token, state in self.relay_states.items():
            self.events.set_property(
                topics.RELAY.path,
                (SimpleItem("RelayToken", token),),
                (SimpleItem("LogicalState", state.value),),
            )
        for token, mode in self.door_modes.items():
            self.events.set_property(
                topics.DOOR_MODE.path,
                (SimpleItem("DoorToken", token),),
                (SimpleItem("State", mode.value),),
            )
        for token in self.access_points:
            self.set_access_point(token, True)
        for source in sorted({p.video_source_token for p in self.media_profiles.values()}):
            self.set_motion(source, False)


def access_point_token(door_token: str) -> str:
    """The token of the access point that controls a door."""
    return f"AP_{door_token}"


def _scope_text(text: str) -> str:
    """Scope path segments are URI text: percent-encode what would break them."""
    return quote(text, safe="-._~")
