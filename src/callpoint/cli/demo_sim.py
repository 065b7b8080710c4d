"""The demo's simulated site: devices started first, then wired into the site callpoint runs.

The simulator starts before the server so the demo's site.yaml can point each simulated
camera and the intercom at its virtual ONVIF device: the engine's PTZ presets and door
releases then reach real (virtual) devices, and the PTZ streams draw the preset they were
sent to. Event subscriptions are off for them (the devices already report by webhook).
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace

from callpoint.config.models import SiteConfig
from callpoint.server import Server, split_listen
from callpoint.sim import SimKind, SimOptions, Simulator
from callpoint.sim.media import MediaServerError

#: The demo's site.yaml reads the simulated devices' password from here.
SIM_PASSWORD_ENV = "CALLPOINT_SIM_PASSWORD"  # noqa: S105 - a variable name
DEMO_EVENTS = (("EXPH-07", "off_hook"), ("EXPH-03", "sos"))
_ITEM_ID = re.compile(r"^(\s*)- id: ([A-Za-z0-9][A-Za-z0-9_.:-]*)\s*$")
#: How long the demo waits for the PTZ presets of the sample events to be carried out.
PRESET_WAIT_S = 3.0
POLL_S = 0.1


async def start_simulator(config: SiteConfig, control: str) -> tuple[Simulator, str]:
    """Every device of the site, and "" or why it runs without video.

    Without GStreamer (or one of its elements) the demo still shows the console and the
    chain; the caller prints the reason with what to install, where it cannot be missed.
    """
    host, port = split_listen(control)
    options = SimOptions(callpoint_url=None, control_host=host, control_port=port)
    sim = Simulator(config, options)
    try:
        await sim.start()
    except MediaServerError as exc:
        sim = Simulator(config, replace(options, media=False))
        await sim.start()
        return sim, str(exc)
    return sim, ""


def no_video_warning(problem: str) -> str:
    """The banner for a demo whose cameras cannot stream."""
    return (
        f"WARNING: no camera video: {problem}\n"
        "         the devices run without streams; install the missing package "
        "(make peers-demo installs them all) and start the demo again"
    )


def demo_site_text(example: str, sim: Simulator) -> str:
    """The example site.yaml with each simulated camera and intercom's ONVIF endpoint.

    Lines are inserted after each `- id: X` rather than round-tripping the YAML, so the
    file keeps its comments and callpoint's own YAML reading (`on:` is a key, not True).
    """
    lines = []
    for text in example.splitlines(keepends=True):
        lines.append(text)
        found = _ITEM_ID.match(text)
        device = sim.devices.get(found.group(2)) if found else None
        if found is None or device is None:
            continue
        line = device.line()
        if line.onvif is None or device.plan.kind is SimKind.VMS:
            continue
        lines.append(
            f"{found.group(1)}  onvif: {{url: {json.dumps(line.onvif)}, "
            f"username: {json.dumps(line.username)}, password: {{env: {SIM_PASSWORD_ENV}}}, "
            'event_mode: "off"}\n'
        )
    return "".join(lines)


def print_sim(sim: Simulator, server: Server) -> None:
    """Where the simulated devices and the bridged phones answer."""
    print(
        f"  simulator      {sim.control_url}  (press buttons here, or: callpoint press "
        f"EXPH-03 sos --sim-url {sim.control_url})"
    )
    print(f"  devices        ONVIF/RTSP user {sim.options.username} password {sim.password}")
    for line in sim.lines():
        if line.rtsp:
            print(f"    {line.id:<24} {line.rtsp}")
    for bridged in server.bridge.devices:
        print(
            f"  ONVIF bridge   {bridged.device_id} at {bridged.url} "
            f"(user {server.bridge.username} password {server.bridge.password})"
        )


async def press_events(sim: Simulator) -> list[str]:
    """The phones press the sample events (signed webhooks through the simulator)."""
    lines = []
    for device, kind in DEMO_EVENTS:
        result = await sim.press(device, kind)
        delivery = result.delivery
        status = f"HTTP {delivery.status}" if delivery and delivery.status else "not delivered"
        incident = delivery.incident_id if delivery else None
        lines.append(f"  {kind:<9} from {device}: {status} incident {incident}")
        await asyncio.sleep(0.5)
    return lines


async def camera_views(sim: Simulator) -> list[str]:
    """What each PTZ camera's stream shows once the presets have been carried out."""
    ptz = [d for d in sim.devices if sim.devices[d].plan.kind is SimKind.PTZ_CAMERA]
    home = {d: sim.video(d).overlay for d in ptz}
    for _ in range(int(PRESET_WAIT_S / POLL_S)):  # bounded: the presets may never come
        if any(sim.video(d).overlay != home[d] for d in ptz):
            break
        await asyncio.sleep(POLL_S)
    await asyncio.sleep(0.3)  # a second preset (the SOS one) may follow the first
    return [f"  {d:<24} shows {sim.video(d).overlay}" for d in ptz]
