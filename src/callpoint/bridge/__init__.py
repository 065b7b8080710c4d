"""Bridges: devices that speak only webhooks, SIP or relays, shown to a VMS as ONVIF ones.

- `OnvifBridge` (onvif_bridge.py): serves every `bridge: onvif` device while callpoint
  runs; `devices` lists where each answers.
- phone_inputs.py: which digital input each phone event drives.
"""

from callpoint.bridge.onvif_bridge import BridgedDevice, OnvifBridge, bridged_device_config

__all__ = ["BridgedDevice", "OnvifBridge", "bridged_device_config"]
