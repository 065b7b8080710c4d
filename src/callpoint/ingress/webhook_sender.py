"""The sending side of the webhook, for `send-event`, the demo, simulators and benches."""

from __future__ import annotations

import json
from datetime import datetime

from callpoint.ingress.webhook_auth import decode_secret, sign
from callpoint.model import AttrValue, new_id


def event_body(
    device: str,
    event_type: str,
    time: datetime,
    *,
    event_id: str | None = None,
    location: str | None = None,
    attributes: dict[str, AttrValue] | None = None,
) -> bytes:
    """A webhook JSON body as devices send it."""
    obj: dict[str, object] = {"device": device, "type": event_type, "time": time.isoformat()}
    if event_id is not None:
        obj["id"] = event_id
    if location is not None:
        obj["location"] = location
    if attributes:
        obj["attributes"] = attributes
    return json.dumps(obj, separators=(",", ":")).encode()


def signed_headers(
    secret: str, body: bytes, now: datetime, msg_id: str | None = None
) -> dict[str, str]:
    """Standard Webhooks headers for `body`, signed with a whsec_ secret."""
    msg_id = msg_id or f"msg_{new_id()}"
    ts = int(now.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(decode_secret(secret), msg_id, ts, body),
        "Content-Type": "application/json",
    }
