"""DeviceIO (deviceio.wsdl) and Door Control (doorcontrol.wsdl) services."""

from __future__ import annotations

from callpoint.onvif.errors import InvalidArgsFault
from callpoint.onvif.namespaces import TDC, TDS, TMD, qname
from callpoint.onvif.server.dispatch import AccessClass, Reply, Request, Service, operation
from callpoint.onvif.server.model import DoorMode
from callpoint.onvif.server.svc_device import relay_outputs, set_relay_state
from callpoint.onvif.server.xmlbuild import opt_text, parse_bool, req_text, root, sub
from callpoint.onvif.server.xsdtime import parse_duration

#: Most DoorInfo entries returned per GetDoorInfoList page (tdc:Capabilities MaxLimit).
MAX_DOOR_PAGE = 100


@operation(Service.DEVICEIO, qname(TMD, "GetDigitalInputs"), AccessClass.READ_MEDIA)
async def get_digital_inputs(req: Request) -> Reply:
    """Digital inputs with their idle state."""
    body = root(TMD, "GetDigitalInputsResponse")
    for cfg in req.runtime.device.config.inputs:
        sub(body, TMD, "DigitalInputs", token=cfg.token, IdleState=cfg.idle_state.value)
    return Reply(body)


# deviceio.wsdl binds GetRelayOutputs and SetRelayOutputState to the device service's
# elements (tds:), so the DeviceIO endpoint answers those, in that namespace.
@operation(Service.DEVICEIO, qname(TDS, "GetRelayOutputs"), AccessClass.READ_MEDIA)
async def get_relay_outputs(req: Request) -> Reply:
    """Relay outputs with their settings."""
    body = root(TDS, "GetRelayOutputsResponse")
    relay_outputs(body, TDS, req.runtime)
    return Reply(body)


@operation(Service.DEVICEIO, qname(TDS, "SetRelayOutputState"), AccessClass.ACTUATE)
async def set_relay_output_state(req: Request) -> Reply:
    """Drive a relay output."""
    set_relay_state(req)
    return Reply(root(TDS, "SetRelayOutputStateResponse"))


# Door Control ---------------------------------------------------------------------------


_LOCK_STATE = {
    DoorMode.LOCKED: "Locked",
    DoorMode.UNLOCKED: "Unlocked",
    DoorMode.ACCESSED: "Unlocked",
}


@operation(Service.DOORCONTROL, qname(TDC, "GetDoorInfoList"), AccessClass.READ_SYSTEM)
async def get_door_info_list(req: Request) -> Reply:
    """Doors, paged by Limit and StartReference (an index as text)."""
    doors = list(req.runtime.device.doors.values())
    try:
        limit = int(opt_text(req.body, "Limit") or MAX_DOOR_PAGE)
        start = int(opt_text(req.body, "StartReference") or 0)
    except ValueError:
        raise InvalidArgsFault("Limit and StartReference must be integers") from None
    if limit <= 0 or start < 0:
        raise InvalidArgsFault("Limit must be positive and StartReference not negative")
    limit = min(limit, MAX_DOOR_PAGE)
    body = root(TDC, "GetDoorInfoListResponse")
    if start + limit < len(doors):
        sub(body, TDC, "NextStartReference", str(start + limit))
    for door in doors[start : start + limit]:
        info = sub(body, TDC, "DoorInfo", token=door.token)
        sub(info, TDC, "Name", door.name)
        if door.description:
            sub(info, TDC, "Description", door.description)
        sub(info, TDC, "Capabilities", Access="true", Lock="true", Unlock="true")
    return Reply(body)


@operation(Service.DOORCONTROL, qname(TDC, "GetDoorState"), AccessClass.READ_SYSTEM)
async def get_door_state(req: Request) -> Reply:
    """Door mode and the lock's physical state."""
    mode = req.runtime.device.door(req_text(req.body, "Token"))
    body = root(TDC, "GetDoorStateResponse")
    state = sub(body, TDC, "DoorState")
    sub(state, TDC, "DoorPhysicalState", "Closed")
    sub(state, TDC, "LockPhysicalState", _LOCK_STATE[mode])
    sub(state, TDC, "Alarm", "Normal")
    sub(state, TDC, "DoorMode", mode.value)
    return Reply(body)


@operation(Service.DOORCONTROL, qname(TDC, "AccessDoor"), AccessClass.ACTUATE)
async def access_door(req: Request) -> Reply:
    """Momentary access: released, then locked again after AccessTime."""
    token = req_text(req.body, "Token")
    raw_time = opt_text(req.body, "AccessTime")
    extended = opt_text(req.body, "UseExtendedTime")
    if extended:
        parse_bool(extended, "UseExtendedTime")
    seconds = parse_duration(raw_time).total_seconds() if raw_time else None
    req.runtime.device.access_door(token, seconds)
    return Reply(root(TDC, "AccessDoorResponse"))


@operation(Service.DOORCONTROL, qname(TDC, "LockDoor"), AccessClass.ACTUATE)
async def lock_door(req: Request) -> Reply:
    """Lock until told otherwise."""
    req.runtime.device.lock_door(req_text(req.body, "Token"))
    return Reply(root(TDC, "LockDoorResponse"))


@operation(Service.DOORCONTROL, qname(TDC, "UnlockDoor"), AccessClass.ACTUATE)
async def unlock_door(req: Request) -> Reply:
    """Unlock until told otherwise."""
    req.runtime.device.unlock_door(req_text(req.body, "Token"))
    return Reply(root(TDC, "UnlockDoorResponse"))
