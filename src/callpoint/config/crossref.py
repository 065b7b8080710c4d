"""Cross-field checks: every name a site.yaml uses must exist, once.

Each check yields (path, message); the loader turns paths into file:line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from callpoint.config.credentials import credential_issues
from callpoint.config.models import (
    CameraKind,
    PopupSpec,
    PresetSpec,
    RelaySpec,
    ShowSpec,
    SiteConfig,
)

Issue = tuple[tuple[str | int, ...], str]


def _unique_ids(cfg: SiteConfig) -> Iterator[Issue]:
    groups: list[tuple[str, list[str]]] = [
        ("consoles", [c.name for c in cfg.consoles]),
        ("cameras", [c.id for c in cfg.cameras]),
        ("locations", [loc.tag for loc in cfg.locations]),
        ("devices", [d.id for d in cfg.devices]),
        ("rules", [r.name for r in cfg.rules]),
    ]
    for section, names in groups:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                yield (section, i), f"'{name}' is defined twice in {section}"
            seen.add(name)


def _locations(cfg: SiteConfig) -> Iterator[Issue]:
    cameras = {c.id: c for c in cfg.cameras}
    consoles = {c.name for c in cfg.consoles}
    for i, loc in enumerate(cfg.locations):
        for j, cam in enumerate([*loc.cameras, *loc.alternates]):
            key = "cameras" if j < len(loc.cameras) else "alternates"
            k = j if j < len(loc.cameras) else j - len(loc.cameras)
            if cam not in cameras:
                yield ("locations", i, key, k), f"unknown camera '{cam}'"
        for key, presets in (("presets", loc.presets), ("sos_presets", loc.sos_presets)):
            for cam, token in presets.items():
                camera = cameras.get(cam)
                if camera is None:
                    yield ("locations", i, key, cam), f"unknown camera '{cam}'"
                elif camera.kind is not CameraKind.PTZ:
                    yield ("locations", i, key, cam), f"camera '{cam}' is not a PTZ camera"
                elif camera.presets and token not in camera.presets:
                    known = ", ".join(sorted(camera.presets))
                    yield (
                        ("locations", i, key, cam),
                        f"camera '{cam}' has no preset '{token}' (known: {known})",
                    )
        for j, console in enumerate(loc.consoles):
            if console not in consoles:
                yield ("locations", i, "consoles", j), f"unknown console '{console}'"


def _devices(cfg: SiteConfig) -> Iterator[Issue]:
    tags = {loc.tag for loc in cfg.locations}
    cameras = {c.id for c in cfg.cameras}
    device_ids = {d.id for d in cfg.devices}
    extensions: dict[str, str] = {}
    for i, dev in enumerate(cfg.devices):
        if dev.location not in tags:
            yield ("devices", i, "location"), f"unknown location '{dev.location}'"
        if dev.camera is not None and dev.camera not in cameras:
            yield ("devices", i, "camera"), f"unknown camera '{dev.camera}'"
        if dev.sip is not None:
            other = extensions.get(dev.sip.extension)
            if other is not None:
                yield (
                    ("devices", i, "sip", "extension"),
                    f"extension {dev.sip.extension} is already used by {other}",
                )
            extensions[dev.sip.extension] = dev.id
        for j, ch in enumerate(dev.io):
            if ch.module not in device_ids:
                yield ("devices", i, "io", j, "module"), f"unknown I/O module '{ch.module}'"


def _rules(cfg: SiteConfig) -> Iterator[Issue]:
    consoles = {c.name for c in cfg.consoles}
    device_ids = {d.id for d in cfg.devices}
    for i, rule in enumerate(cfg.rules):
        for j, spec in enumerate(rule.actions):
            where = ("rules", i, "actions", j)
            if isinstance(spec, ShowSpec | PopupSpec) and isinstance(spec.consoles, list):
                for k, name in enumerate(spec.consoles):
                    if name not in consoles:
                        yield (*where, "consoles", k), f"unknown console '{name}'"
            if isinstance(spec, RelaySpec) and spec.device and spec.device not in device_ids:
                yield (*where, "device"), f"unknown device '{spec.device}'"
            if isinstance(spec, PresetSpec) and not rule.opens_incident:
                yield where, "a preset needs an incident to hold the camera (opens_incident)"
    for j, name in enumerate(cfg.escalation.chain):
        if name not in consoles:
            yield ("escalation", "chain", j), f"unknown console '{name}'"


def _onvif_notify(cfg: SiteConfig) -> Iterator[Issue]:
    """Notify delivery needs an address the devices can post to."""
    if cfg.server.public_url is not None:
        return
    endpoints = [("cameras", i, c.onvif) for i, c in enumerate(cfg.cameras)]
    endpoints += [("devices", i, d.onvif) for i, d in enumerate(cfg.devices)]
    for section, i, onvif in endpoints:
        if onvif is not None and onvif.event_mode == "notify":
            yield (
                (section, i, "onvif", "event_mode"),
                "event_mode notify needs server.public_url (where devices post Notify)",
            )


CHECKS: tuple[Callable[[SiteConfig], Iterator[Issue]], ...] = (
    _unique_ids,
    _locations,
    _devices,
    _rules,
    _onvif_notify,
    credential_issues,
)


def cross_check(cfg: SiteConfig) -> list[Issue]:
    """All cross-reference problems of a structurally valid config."""
    return [issue for check in CHECKS for issue in check(cfg)]
