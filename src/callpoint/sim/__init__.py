"""Virtual devices for the demo and the tests: cameras, intercoms, phones, I/O modules.

Public API:

- `Simulator` (simulator.py) and `SimOptions`: every device of a site on loopback, one
  process; `press(device, event)`, `lines()`, `control_url`.
- `plan_site` (plan.py): which simulated device each device and camera of a site becomes.
- Devices: `PhoneSim` (phone.py), `VideoSim` (video.py: intercoms and cameras on the
  ONVIF device server with an RTSP stream), `IoModuleSim` (modbus.py: pymodbus server),
  `MilestoneReceiver` and `NxReceiver` (vms.py).
- `DeviceLine` (base.py): one line of `callpoint simulate --json`.
"""

from callpoint.sim.base import DeviceLine, PressError, PressResult
from callpoint.sim.modbus import IoModuleSim
from callpoint.sim.phone import PhoneSim
from callpoint.sim.plan import DevicePlan, SimKind, VmsFlavour, plan_site
from callpoint.sim.simulator import SimOptions, Simulator
from callpoint.sim.video import VideoSim
from callpoint.sim.vms import MilestoneReceiver, NxReceiver, VmsCall
from callpoint.sim.webhook_out import Delivery

__all__ = [
    "Delivery",
    "DeviceLine",
    "DevicePlan",
    "IoModuleSim",
    "MilestoneReceiver",
    "NxReceiver",
    "PhoneSim",
    "PressError",
    "PressResult",
    "SimKind",
    "SimOptions",
    "Simulator",
    "VideoSim",
    "VmsCall",
    "VmsFlavour",
    "plan_site",
]
