"""DoorControl (tdc) and AccessControl (tac) services, for Profile C/A intercoms.

ONVIF Door Control and Access Control Service Specifications. Lists are paged with
``Limit`` and ``StartReference``; the reply's ``NextStartReference`` continues it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

from callpoint.onvif.errors import LocalProtocolError, RemoteProtocolError
from callpoint.onvif.namespaces import TAC, TDC
from callpoint.onvif.request import Request, request
from callpoint.onvif.xmlutil import (
    Element,
    attrs_of,
    child,
    children,
    duration,
    expect,
    make,
    text,
)

_EMPTY: Mapping[str, str] = MappingProxyType({})
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DoorInfo:
    """tdc:DoorInfo: a door and what it can do (Access, Lock, Unlock... flags)."""

    token: str
    name: str
    description: str | None = None
    capabilities: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class AccessPointInfo:
    """tac:AccessPointInfo: an access point and the door (entity) it controls."""

    token: str
    name: str
    entity: str | None = None
    entity_type: str | None = None
    area_from: str | None = None
    area_to: str | None = None


@dataclass(frozen=True, slots=True)
class DoorState:
    """tdc:DoorState: physical, lock and alarm states, and the logical mode."""

    door_physical_state: str | None
    lock_physical_state: str | None
    alarm: str | None
    tamper: str | None
    fault: str | None
    mode: str | None

    @property
    def forced(self) -> bool:
        """The door alarm says it was forced open (tdc:DoorAlarmState DoorForcedOpen)."""
        return (self.alarm or "").lower() == "doorforcedopen"

    @property
    def open(self) -> bool:
        """The door sensor reads open."""
        return (self.door_physical_state or "").lower() == "open"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paged list and where the next one starts."""

    items: tuple[T, ...]
    next_start_reference: str | None


def _paging(svc: str, limit: int | None, start: str | None) -> list[Element | None]:
    if limit is not None and limit <= 0:
        raise LocalProtocolError("limit must be positive")
    return [
        make(f"{{{svc}}}Limit", text=str(limit)) if limit is not None else None,
        make(f"{{{svc}}}StartReference", text=start) if start else None,
    ]


def _token(token: str) -> Element:
    if not token:
        raise LocalProtocolError("door token is empty")
    return make(f"{{{TDC}}}Token", text=token)


def get_door_info_list(limit: int | None = None, start_reference: str | None = None) -> Request:
    """GetDoorInfoList."""
    return request(TDC, "GetDoorInfoList", *_paging(TDC, limit, start_reference))


def parse_door_info_list(body: Element | None) -> Page[DoorInfo]:
    """Parse GetDoorInfoListResponse."""
    r = expect(body, "GetDoorInfoListResponse")
    items = []
    for d in children(r, "DoorInfo"):
        token = d.get("token")
        if not token:
            raise RemoteProtocolError("DoorInfo without token")
        items.append(
            DoorInfo(
                token=token,
                name=text(d, "Name") or token,
                description=text(d, "Description"),
                capabilities=MappingProxyType(dict(attrs_of(child(d, "Capabilities")))),
            )
        )
    return Page(tuple(items), text(r, "NextStartReference") or None)


def get_access_point_info_list(
    limit: int | None = None, start_reference: str | None = None
) -> Request:
    """GetAccessPointInfoList."""
    return request(TAC, "GetAccessPointInfoList", *_paging(TAC, limit, start_reference))


def parse_access_point_info_list(body: Element | None) -> Page[AccessPointInfo]:
    """Parse GetAccessPointInfoListResponse."""
    r = expect(body, "GetAccessPointInfoListResponse")
    items = []
    for a in children(r, "AccessPointInfo"):
        token = a.get("token")
        if not token:
            raise RemoteProtocolError("AccessPointInfo without token")
        items.append(
            AccessPointInfo(
                token=token,
                name=text(a, "Name") or token,
                entity=text(a, "Entity"),
                entity_type=text(a, "EntityType"),
                area_from=text(a, "AreaFrom"),
                area_to=text(a, "AreaTo"),
            )
        )
    return Page(tuple(items), text(r, "NextStartReference") or None)


def get_door_state(token: str) -> Request:
    """GetDoorState."""
    return request(TDC, "GetDoorState", _token(token))


def parse_door_state(body: Element | None) -> DoorState:
    """Parse GetDoorStateResponse."""
    st = child(expect(body, "GetDoorStateResponse"), "DoorState")
    if st is None:
        raise RemoteProtocolError("GetDoorStateResponse lacks DoorState")
    return DoorState(
        door_physical_state=text(st, "DoorPhysicalState"),
        lock_physical_state=text(st, "LockPhysicalState"),
        alarm=text(st, "Alarm"),
        tamper=text(st, "Tamper", "State"),
        fault=text(st, "Fault", "State"),
        mode=text(st, "DoorMode"),
    )


def access_door(
    token: str, access_time_s: float | None = None, use_extended_time: bool | None = None
) -> Request:
    """AccessDoor: a momentary access (unlock, then relock after the access time)."""
    return request(
        TDC,
        "AccessDoor",
        _token(token),
        make(f"{{{TDC}}}UseExtendedTime", text="true" if use_extended_time else "false")
        if use_extended_time is not None
        else None,
        make(f"{{{TDC}}}AccessTime", text=duration(access_time_s))
        if access_time_s is not None
        else None,
    )


def unlock_door(token: str) -> Request:
    """UnlockDoor: unlocked until told otherwise."""
    return request(TDC, "UnlockDoor", _token(token))


def lock_door(token: str) -> Request:
    """LockDoor."""
    return request(TDC, "LockDoor", _token(token))
