"""Errors the device model raises; the SOAP layer maps each to its ONVIF fault.

The model knows nothing about SOAP: these say what went wrong in the device's terms,
and `faults.py` decides the subcode (ter:InvalidArgVal/ter:NoEntity...) to answer.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of everything the virtual device refuses."""


class UnknownTokenError(DeviceError):
    """A request names a profile, preset, relay, input or door the device lacks."""

    def __init__(self, kind: str, token: str) -> None:
        super().__init__(f"no {kind} with token {token!r}")
        self.kind = kind
        self.token = token


class InvalidValueError(DeviceError):
    """A request carries a value out of range or of the wrong form."""


class TooManyPresetsError(DeviceError):
    """SetPreset beyond the node's MaximumNumberOfPresets."""


class UnknownSubscriptionError(DeviceError):
    """The subscription never existed, expired, or was unsubscribed."""


class UnacceptableTerminationTimeError(DeviceError):
    """The requested termination time is in the past or not a time at all."""


class TooManySubscriptionsError(DeviceError):
    """The device's subscription table is full."""


class IllegalTransitionError(DeviceError):
    """A subscription was asked to move along an edge its state machine lacks."""
