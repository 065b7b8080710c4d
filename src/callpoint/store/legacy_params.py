"""Reading the flat `params` objects that actions carried up to schema version 2.

Until typed payloads, the planner wrote every action's details as string keys with
scalar values (camera lists comma-joined). Each kind is read here with the defaults its
executor or the restore applied to a missing key then, so an old outbox row does what it
would have done. Keys a kind never had are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

from callpoint.action_payloads import (
    BeaconPayload,
    DoorPayload,
    EscalatePayload,
    HomePayload,
    HttpPayload,
    Payload,
    PopupPayload,
    PresetPayload,
    PublishPayload,
    RecordPayload,
    RelayPayload,
    ShowPayload,
    SwitchMode,
    VmsEventPayload,
)
from callpoint.model import ActionKind, EventType

_HEADER_PREFIX = "header."
_SWITCH_MODES: dict[object, SwitchMode] = {"on": "on", "off": "off", "pulse": "pulse"}


def _text(params: Mapping[str, object], key: str, default: str = "") -> str:
    value = params.get(key)
    return default if value is None else str(value)


def _opt_text(params: Mapping[str, object], key: str) -> str | None:
    value = params.get(key)
    return None if value is None else str(value)


def _number(params: Mapping[str, object], key: str, default: float) -> float:
    value = params.get(key, default)
    try:
        return float(value)  # type: ignore[arg-type]  # whatever was stored; checked here
    except (TypeError, ValueError):
        return default


def _cameras(params: Mapping[str, object]) -> tuple[str, ...]:
    return tuple(c for c in _text(params, "cameras").split(",") if c)


def _event(params: Mapping[str, object]) -> EventType:
    return EventType(_text(params, "event", EventType.TEST.value))


def _switch(
    kind: type[RelayPayload | DoorPayload | BeaconPayload], params: Mapping[str, object]
) -> Payload:
    # An unknown mode was refused by the executor then; "pulse" with a zero length still is.
    mode = _SWITCH_MODES.get(params.get("mode", "pulse"))
    return kind(
        output=_text(params, "output", "1"),
        mode=mode or "pulse",
        pulse_s=_number(params, "pulse_s", 3.0) if mode is not None else 0.0,
        by=_opt_text(params, "by"),
    )


def _http(params: Mapping[str, object]) -> HttpPayload:
    timeout = _number(params, "timeout", 5.0)
    headers = tuple(
        (k[len(_HEADER_PREFIX) :], str(v))
        for k, v in params.items()
        if k.startswith(_HEADER_PREFIX)
    )
    return HttpPayload(
        method=_text(params, "method", "POST"),
        timeout_s=_number(params, "timeout_s", timeout),
        body=_opt_text(params, "body"),
        url=_opt_text(params, "url"),
        headers=headers,
        expect_status=_text(params, "expect_status", "2xx"),
    )


def from_params(kind: ActionKind, params: Mapping[str, object]) -> Payload:
    """The typed payload of an action stored with flat `params`."""
    match kind:
        case ActionKind.PRESET:
            return PresetPayload(
                preset=_text(params, "preset"),
                preset_name=_text(params, "preset_name"),
                location=_text(params, "location"),
                home_after_s=_number(params, "home_after_s", 30.0),
            )
        case ActionKind.HOME:
            return HomePayload(
                location=_text(params, "location"), preset=_opt_text(params, "preset")
            )
        case ActionKind.RECORD:
            return RecordPayload(
                mode="stop" if params.get("mode") == "stop" else "start",
                pre_roll_s=_number(params, "pre_roll_s", 0.0),
                duration_s=_number(params, "duration_s", 0.0),
                post_roll_s=_number(params, "post_roll_s", 0.0),
                forced=params.get("forced") is True,
                bookmark=_opt_text(params, "bookmark"),
                location=_text(params, "location"),
            )
        case ActionKind.SHOW:
            return ShowPayload(
                cameras=_cameras(params),
                location=_text(params, "location"),
                layout=_opt_text(params, "layout"),
            )
        case ActionKind.POPUP:
            return PopupPayload(
                incident_id=_text(params, "incident_id"),
                location=_text(params, "location"),
                device=_text(params, "device"),
                event=_event(params),
                cameras=_cameras(params),
                layout=_opt_text(params, "layout"),
                escalation_level=int(_number(params, "escalation_level", 0)),
            )
        case ActionKind.RELAY:
            return _switch(RelayPayload, params)
        case ActionKind.DOOR:
            return _switch(DoorPayload, params)
        case ActionKind.BEACON:
            return _switch(BeaconPayload, params)
        case ActionKind.HTTP:
            return _http(params)
        case ActionKind.VMS_EVENT:
            return VmsEventPayload(
                name=_text(params, "name"),
                location=_text(params, "location"),
                device=_text(params, "device"),
                event=_event(params),
            )
        case ActionKind.PUBLISH:
            return PublishPayload(
                location=_text(params, "location"),
                device=_text(params, "device"),
                event=_event(params),
            )
        case ActionKind.ESCALATE:
            return EscalatePayload(
                level=int(_number(params, "level", 0)), incident_id=_text(params, "incident_id")
            )
        case _:
            assert_never(kind)  # mypy: a new kind must say how its old rows read
