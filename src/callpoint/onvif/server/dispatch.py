"""Dispatch of SOAP requests: one handler per (service, operation element), access classes.

ONVIF Core (access classes) gives each operation an access class and a default policy mapping user
levels to the classes they may use; PRE_AUTH operations need no credentials at all.
Handlers register themselves with `@operation(...)`; an unknown key is answered with
ter:ActionNotSupported by the host.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from lxml import etree

from callpoint.onvif.namespaces import TAC, TDC, TDS, TEV, TIMG, TMD, TPTZ, TR2, TRT
from callpoint.onvif.server.model import UserLevel

if TYPE_CHECKING:
    from callpoint.onvif.server.runtime import DeviceRuntime


class Service(StrEnum):
    """The services a virtual device hosts; the value is the path segment."""

    DEVICE = "device_service"
    MEDIA = "media_service"
    MEDIA2 = "media2_service"
    EVENTS = "events_service"
    SUBSCRIPTION = "subscription"
    PTZ = "ptz_service"
    DEVICEIO = "deviceio_service"
    DOORCONTROL = "doorcontrol_service"
    ACCESSCONTROL = "accesscontrol_service"
    IMAGING = "imaging_service"


#: WSDL namespace of each service, as GetServices announces it.
SERVICE_NAMESPACES: dict[Service, str] = {
    Service.DEVICE: TDS,
    Service.MEDIA: TRT,
    Service.MEDIA2: TR2,
    Service.EVENTS: TEV,
    Service.PTZ: TPTZ,
    Service.DEVICEIO: TMD,
    Service.DOORCONTROL: TDC,
    Service.ACCESSCONTROL: TAC,
    Service.IMAGING: TIMG,
}


class AccessClass(StrEnum):
    """ONVIF Core access classes."""

    PRE_AUTH = "PRE_AUTH"
    READ_SYSTEM = "READ_SYSTEM"
    READ_SYSTEM_SENSITIVE = "READ_SYSTEM_SENSITIVE"
    READ_SYSTEM_SECRET = "READ_SYSTEM_SECRET"  # noqa: S105 - an access class name
    WRITE_SYSTEM = "WRITE_SYSTEM"
    UNRECOVERABLE = "UNRECOVERABLE"
    READ_MEDIA = "READ_MEDIA"
    ACTUATE = "ACTUATE"


_ALL = frozenset(AccessClass)
#: ONVIF Core default access policy: which classes each user level may use.
DEFAULT_POLICY: dict[UserLevel, frozenset[AccessClass]] = {
    UserLevel.ADMINISTRATOR: _ALL,
    UserLevel.OPERATOR: _ALL
    - {AccessClass.READ_SYSTEM_SECRET, AccessClass.WRITE_SYSTEM, AccessClass.UNRECOVERABLE},
    UserLevel.USER: frozenset(
        {AccessClass.PRE_AUTH, AccessClass.READ_SYSTEM, AccessClass.READ_MEDIA}
    ),
    UserLevel.ANONYMOUS: frozenset({AccessClass.PRE_AUTH}),
}


@dataclass(frozen=True, slots=True)
class Request:
    """One authenticated request as a handler sees it."""

    runtime: DeviceRuntime
    body: etree._Element
    base_url: str
    subscription_id: str | None = None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler's answer: the body element and, for WS-N operations, a wsa:Action."""

    body: etree._Element
    action: str | None = None


Handler = Callable[[Request], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Operation:
    """A registered handler and the access class it demands."""

    handler: Handler
    access: AccessClass


@dataclass(slots=True)
class Registry:
    """(service, Clark name of the request element) -> operation."""

    operations: dict[tuple[Service, str], Operation] = field(default_factory=dict)

    def add(self, service: Service, tag: str, access: AccessClass, handler: Handler) -> None:
        """Register one handler; registering a key twice is a programming error."""
        key = (service, tag)
        if key in self.operations:
            raise ValueError(f"operation {key} registered twice")
        self.operations[key] = Operation(handler, access)

    def lookup(self, service: Service, tag: str) -> Operation | None:
        """The operation for a request, or None (answer ter:ActionNotSupported)."""
        return self.operations.get((service, tag))


REGISTRY = Registry()


def operation(service: Service, tag: str, access: AccessClass) -> Callable[[Handler], Handler]:
    """Decorator registering a handler in the module-level REGISTRY."""

    def register(handler: Handler) -> Handler:
        REGISTRY.add(service, tag, access, handler)
        return handler

    return register


def allowed(level: UserLevel, access: AccessClass) -> bool:
    """Whether a user level may call an operation of this access class."""
    return access in DEFAULT_POLICY[level]
