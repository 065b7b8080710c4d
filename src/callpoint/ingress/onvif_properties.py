"""What a device's properties were last seen as, so a re-created subscription loses nothing.

ONVIF property events (an input's LogicalState, a door's state...) are sent as
``Initialized`` with the current value when a subscription starts, then ``Changed``
(ONVIF Core 9.2.3). A change that happens while the subscription is lost (the device
rebooted, the network dropped) is never sent as ``Changed``; but the ``Initialized``
message of the new subscription shows the new value. Compared with what was last seen,
it reveals the missed change, which is then mapped as if it had been sent as one.
Pure, no I/O.
"""

from __future__ import annotations

import dataclasses

from callpoint.onvif.notification import Items, NotificationMessage

MAX_PROPERTIES = 256
"""Properties remembered per device (a real device has a few dozen); more are not tracked."""

_Key = tuple[str, Items]


class PropertyMemory:
    """Last seen Data items per (topic, Source items) of one device."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[_Key, Items] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def observe(self, note: NotificationMessage) -> tuple[NotificationMessage | None, bool]:
        """The message to map (or None) and whether it is a recovered, missed change.

        Changed and other messages pass through; an Initialized one passes only if it
        differs from what was seen before this subscription, rewritten as Changed.
        """
        msg = note.message
        op = (msg.property_operation or "").lower()
        key = (note.topic, msg.source)
        if op == "deleted":
            self._seen.pop(key, None)
            return note, False
        if op not in ("initialized", "changed"):
            return note, False
        before = self._seen.get(key)
        if before is not None or len(self._seen) < MAX_PROPERTIES:
            self._seen[key] = msg.data
        if op == "changed":
            return note, False
        if before is None or before == msg.data:
            return None, False
        changed = dataclasses.replace(msg, property_operation="Changed")
        return dataclasses.replace(note, message=changed), True
