"""Access Control service (accesscontrol.wsdl): one access point per door.

What a Profile C client needs to find the doors behind the access points and to enable
or disable them; areas are not modelled (the list is empty).
"""

from __future__ import annotations

from lxml import etree

from callpoint.onvif.errors import InvalidArgsFault
from callpoint.onvif.namespaces import TAC, qname
from callpoint.onvif.server.device import access_point_token
from callpoint.onvif.server.device_errors import UnknownTokenError
from callpoint.onvif.server.dispatch import AccessClass, Reply, Request, Service, operation
from callpoint.onvif.server.model import DoorConfig
from callpoint.onvif.server.xmlbuild import opt_text, req_text, root, sub

#: Most AccessPointInfo entries per page (tac:Capabilities MaxLimit).
MAX_PAGE = 100


def _info(parent: etree._Element, door: DoorConfig) -> None:
    info = sub(parent, TAC, "AccessPointInfo", token=access_point_token(door.token))
    sub(info, TAC, "Name", door.name)
    if door.description:
        sub(info, TAC, "Description", door.description)
    sub(info, TAC, "EntityType", "tdc:Door")  # the tdc prefix is declared by root()
    sub(info, TAC, "Entity", door.token)
    sub(info, TAC, "Capabilities", DisableAccessPoint="true")


def _doors_by_access_point(req: Request) -> dict[str, DoorConfig]:
    return {access_point_token(d.token): d for d in req.runtime.device.doors.values()}


@operation(Service.ACCESSCONTROL, qname(TAC, "GetAccessPointInfoList"), AccessClass.READ_SYSTEM)
async def get_access_point_info_list(req: Request) -> Reply:
    """Access points, paged by Limit and StartReference (an index as text)."""
    doors = list(req.runtime.device.doors.values())
    try:
        limit = int(opt_text(req.body, "Limit") or MAX_PAGE)
        start = int(opt_text(req.body, "StartReference") or 0)
    except ValueError:
        raise InvalidArgsFault("Limit and StartReference must be integers") from None
    if limit <= 0 or start < 0:
        raise InvalidArgsFault("Limit must be positive and StartReference not negative")
    limit = min(limit, MAX_PAGE)
    body = root(TAC, "GetAccessPointInfoListResponse")
    if start + limit < len(doors):
        sub(body, TAC, "NextStartReference", str(start + limit))
    for door in doors[start : start + limit]:
        _info(body, door)
    return Reply(body)


@operation(Service.ACCESSCONTROL, qname(TAC, "GetAccessPointInfo"), AccessClass.READ_SYSTEM)
async def get_access_point_info(req: Request) -> Reply:
    """The access points named by Token (unknown tokens are skipped, as the spec says)."""
    by_ap = _doors_by_access_point(req)
    tokens = [
        (c.text or "").strip()
        for c in req.body
        if isinstance(c.tag, str) and etree.QName(c).localname == "Token"
    ]
    if not tokens:
        raise InvalidArgsFault("missing argument Token")
    if len(tokens) > MAX_PAGE:
        raise InvalidArgsFault(f"at most {MAX_PAGE} tokens per request")
    body = root(TAC, "GetAccessPointInfoResponse")
    for token in tokens:
        if token in by_ap:
            _info(body, by_ap[token])
    return Reply(body)


@operation(Service.ACCESSCONTROL, qname(TAC, "GetAreaInfoList"), AccessClass.READ_SYSTEM)
async def get_area_info_list(req: Request) -> Reply:
    """No areas are modelled."""
    return Reply(root(TAC, "GetAreaInfoListResponse"))


@operation(Service.ACCESSCONTROL, qname(TAC, "GetAccessPointState"), AccessClass.READ_SYSTEM)
async def get_access_point_state(req: Request) -> Reply:
    """Whether an access point is enabled."""
    token = req_text(req.body, "Token")
    try:
        enabled = req.runtime.device.access_points[token]
    except KeyError:
        raise UnknownTokenError("access point", token) from None
    body = root(TAC, "GetAccessPointStateResponse")
    state = sub(body, TAC, "AccessPointState")
    sub(state, TAC, "Enabled", "true" if enabled else "false")
    return Reply(body)


@operation(Service.ACCESSCONTROL, qname(TAC, "EnableAccessPoint"), AccessClass.ACTUATE)
async def enable_access_point(req: Request) -> Reply:
    """Enable an access point."""
    req.runtime.device.set_access_point(req_text(req.body, "Token"), True)
    return Reply(root(TAC, "EnableAccessPointResponse"))


@operation(Service.ACCESSCONTROL, qname(TAC, "DisableAccessPoint"), AccessClass.ACTUATE)
async def disable_access_point(req: Request) -> Reply:
    """Disable an access point."""
    req.runtime.device.set_access_point(req_text(req.body, "Token"), False)
    return Reply(root(TAC, "DisableAccessPointResponse"))
