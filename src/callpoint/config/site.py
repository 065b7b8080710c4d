"""A validated site, indexed for the lookups the engine and adapters make per event."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from callpoint.config.credentials import Credentials
from callpoint.config.models import (
    CameraConfig,
    CameraKind,
    DeviceConfig,
    LocationConfig,
    RuleConfig,
    SiteConfig,
)
from callpoint.model import EventType


class Site:
    """Read-only indexes over a `SiteConfig`. Build one per loaded config."""

    __slots__ = (
        "cameras",
        "config",
        "console_names",
        "credentials",
        "devices",
        "devices_by_extension",
        "locations",
        "rules_by_type",
    )

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        # Decoded webhook keys and tokens: the loader checked them, so this cannot fail.
        self.credentials = Credentials.of(config)
        self.cameras: Mapping[str, CameraConfig] = MappingProxyType(
            {c.id: c for c in config.cameras}
        )
        self.locations: Mapping[str, LocationConfig] = MappingProxyType(
            {loc.tag: loc for loc in config.locations}
        )
        self.devices: Mapping[str, DeviceConfig] = MappingProxyType(
            {d.id: d for d in config.devices}
        )
        self.devices_by_extension: Mapping[str, DeviceConfig] = MappingProxyType(
            {d.sip.extension: d for d in config.devices if d.sip is not None}
        )
        self.console_names: frozenset[str] = frozenset(c.name for c in config.consoles)
        by_type: dict[EventType, list[RuleConfig]] = {}
        for rule in config.rules:
            for event_type in rule.on:
                by_type.setdefault(event_type, []).append(rule)
        self.rules_by_type: Mapping[EventType, tuple[RuleConfig, ...]] = MappingProxyType(
            {k: tuple(v) for k, v in by_type.items()}
        )

    def rules_for(self, event_type: EventType) -> tuple[RuleConfig, ...]:
        """Rules reacting to an event type, in file order."""
        return self.rules_by_type.get(event_type, ())

    def ptz_cameras(self, location: LocationConfig, *, emergency: bool) -> list[tuple[str, str]]:
        """(camera id, preset token) for a location's PTZ cameras, nearest first.

        Emergency presets fall back to the routine ones for cameras without one.
        """
        table = dict(location.presets)
        if emergency:
            table.update(location.sos_presets)
        order = [c for c in location.cameras if c in table]
        order += [c for c in table if c not in order]
        return [
            (cam, table[cam])
            for cam in order
            if cam in self.cameras and self.cameras[cam].kind is CameraKind.PTZ
        ]
