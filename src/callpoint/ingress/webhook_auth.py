"""Webhook authentication: Standard Webhooks signatures or bearer tokens, pure logic.

Standard Webhooks: `webhook-signature` carries space-separated `v1,<base64 HMAC-SHA256>`
entries over "<webhook-id>.<webhook-timestamp>.<body>", keyed by the base64 part of a
`whsec_` secret. We add what the reference library leaves out: a replay cache of ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from callpoint.config.credentials import WEBHOOK_SECRET_PREFIX, decode_webhook_secret

SECRET_PREFIX = WEBHOOK_SECRET_PREFIX
MAX_WEBHOOK_ID_CHARS = 256  # ids are message ids, not payloads
MAX_SIGNATURES = 8  # a sender rotating keys sends a few, never many
MAX_REPLAY_IDS = 200_000  # about 100 s of traffic at 2,000 events/s, bounded memory


class WebhookAuthError(Exception):
    """The request is not authenticated; the message says why (safe to log and answer)."""


def decode_secret(secret: str) -> bytes:
    """Key bytes of a `whsec_<base64>` secret (a bare base64 string is accepted too).

    The config loader checks every configured secret with the same function, so a site
    that loaded never fails here.
    """
    return decode_webhook_secret(secret)


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of one message."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The three Standard Webhooks headers, checked for shape."""

    msg_id: str
    timestamp: int
    signatures: tuple[bytes, ...]

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> SignedHeaders:
        msg_id = headers.get("webhook-id", "")
        ts = headers.get("webhook-timestamp", "")
        sig = headers.get("webhook-signature", "")
        missing = [
            n
            for n, v in (
                ("webhook-id", msg_id),
                ("webhook-timestamp", ts),
                ("webhook-signature", sig),
            )
            if not v
        ]
        if missing:
            raise WebhookAuthError(f"missing header {', '.join(missing)}")
        if len(msg_id) > MAX_WEBHOOK_ID_CHARS:
            raise WebhookAuthError("webhook-id is too long")
        if not ts.isdigit() or len(ts) > 12:
            raise WebhookAuthError("webhook-timestamp is not integer seconds")
        parsed: list[bytes] = []
        for entry in sig.split()[:MAX_SIGNATURES]:
            version, _, value = entry.partition(",")
            if version != "v1":
                continue
            try:
                parsed.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                continue
        if not parsed:
            raise WebhookAuthError("webhook-signature has no v1 signature")
        return cls(msg_id, int(ts), tuple(parsed))


class ReplayCache:
    """Webhook ids seen inside the tolerance window; bounded, oldest dropped first."""

    __slots__ = ("_seen", "_ttl_s")

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_add(self, msg_id: str, now_s: float) -> bool:
        """True if the id is new (and remember it); False if it is a replay."""
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now_s - at <= self._ttl_s and len(self._seen) < MAX_REPLAY_IDS:
                break
            del self._seen[oldest]
        if msg_id in self._seen:
            return False
        self._seen[msg_id] = now_s
        return True


def verify_signature(
    keys: list[bytes], headers: SignedHeaders, body: bytes, now: datetime, tolerance_s: int
) -> int:
    """Index of the key that signed this body; raises WebhookAuthError if none or stale.

    Replay is checked apart (ReplayCache), after the caller knows the request is genuine.
    """
    now_s = now.timestamp()
    if abs(now_s - headers.timestamp) > tolerance_s:
        raise WebhookAuthError(
            f"webhook-timestamp is {now_s - headers.timestamp:+.0f} s from server time "
            f"(tolerance {tolerance_s} s)"
        )
    message = f"{headers.msg_id}.{headers.timestamp}.".encode() + body
    matched = -1
    for i, key in enumerate(keys):
        expected = hmac.new(key, message, hashlib.sha256).digest()
        # Compare against every signature and key: timing does not reveal which matched.
        if any(hmac.compare_digest(expected, s) for s in headers.signatures) and matched < 0:
            matched = i
    if matched < 0:
        raise WebhookAuthError("signature does not match")
    return matched


def verify_bearer(tokens: list[bytes], authorization: str) -> int:
    """Index of the token `Authorization: Bearer <token>` carries; raises WebhookAuthError."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise WebhookAuthError("Authorization is not a bearer token")
    given = value.strip().encode()
    matched = -1
    for i, token in enumerate(tokens):
        if hmac.compare_digest(token, given) and matched < 0:
            matched = i
    if matched < 0:
        raise WebhookAuthError("bearer token does not match")
    return matched
