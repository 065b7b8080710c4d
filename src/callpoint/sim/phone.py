"""A simulated explosion-proof phone: hook, call and SOS states sent as signed webhooks.

SIP is not simulated yet (callpoint has no SIP stack); a real phone would also place a
call to the alarm extension. The phone keeps its state so the control page shows it.
"""

from __future__ import annotations

from callpoint.model import EventType
from callpoint.sim.base import DeviceLine, PressResult, StateValue, check_event
from callpoint.sim.plan import DevicePlan
from callpoint.sim.webhook_out import WebhookOut

# How each event changes (off_hook, in_call, sos); None leaves a flag as it was.
_TRANSITIONS: dict[EventType, tuple[bool | None, bool | None, bool | None]] = {
    EventType.OFF_HOOK: (True, None, None),
    EventType.CALL_CONNECTED: (True, True, None),
    EventType.CALL_ENDED: (False, False, None),
    EventType.SOS: (None, None, True),
    EventType.SOS_CLEARED: (None, None, False),
    EventType.TAMPER: (None, None, None),
}


class PhoneSim:
    """One phone; `press` sends the event and returns what callpoint answered."""

    def __init__(self, plan: DevicePlan, webhooks: WebhookOut) -> None:
        self.plan = plan
        self._webhooks = webhooks
        self.off_hook = False
        self.in_call = False
        self.sos = False
        self.sent = 0

    def line(self) -> DeviceLine:
        """Phones have no ONVIF or RTSP side; the line says where they report."""
        return DeviceLine(
            self.plan.device_id,
            self.plan.kind,
            location=self.plan.location,
            url=self._webhooks.url,
            events=tuple(e.value for e in self.plan.events),
        )

    def state(self) -> dict[str, StateValue]:
        """Hook, call and SOS flags."""
        return {"off_hook": self.off_hook, "in_call": self.in_call, "sos": self.sos}

    async def press(self, event: EventType, channel: int | None = None) -> PressResult:
        """Change state and report the event."""
        check_event(self.plan, event)
        hook, call, sos = _TRANSITIONS[event]
        self.off_hook = self.off_hook if hook is None else hook
        self.in_call = self.in_call if call is None else call
        self.sos = self.sos if sos is None else sos
        self.sent += 1
        delivery = await self._webhooks.send(self.plan.device_id, event.value)
        return PressResult(self.plan.device_id, event, delivery)

    async def close(self) -> None:
        """Nothing runs in the background."""
