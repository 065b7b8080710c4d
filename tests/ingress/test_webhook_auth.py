"""Standard Webhooks verification and bearer tokens, as pure functions."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from callpoint.ingress import webhook_auth
from callpoint.ingress.webhook_auth import (
    ReplayCache,
    SignedHeaders,
    WebhookAuthError,
    decode_secret,
    sign,
    verify_bearer,
    verify_signature,
)

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER = "whsec_" + base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def headers(sig: str, msg_id: str = "msg_1", ts: datetime = NOW) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(ts.timestamp())),
        "webhook-signature": sig,
    }


def test_our_signature_verifies_with_the_reference_library_and_back() -> None:
    body = b'{"device":"EXPH-03","type":"sos","time":"2026-11-21T08:00:00Z"}'
    ours = sign(decode_secret(SECRET), "msg_1", int(NOW.timestamp()), body)
    assert ours == Webhook(SECRET).sign("msg_1", NOW, body.decode())
    theirs = Webhook(SECRET).sign("msg_2", NOW, body.decode())
    signed = SignedHeaders.from_headers(headers(theirs, "msg_2"))
    assert verify_signature([decode_secret(SECRET)], signed, body, NOW, 300) == 0


def test_the_matching_key_is_reported_among_several_and_rotation_entries_work() -> None:
    body = b"{}"
    good = sign(decode_secret(OTHER), "m", int(NOW.timestamp()), body)
    signed = SignedHeaders.from_headers(headers(f"v1,AAAA {good} v2,zzz", "m"))
    keys = [decode_secret(SECRET), decode_secret(OTHER)]
    assert verify_signature(keys, signed, body, NOW, 300) == 1


@pytest.mark.parametrize(
    ("hdrs", "reason"),
    [
        ({}, "missing header webhook-id, webhook-timestamp, webhook-signature"),
        (headers("v1,AAAA") | {"webhook-timestamp": "12a"}, "integer seconds"),
        (headers("v1,AAAA") | {"webhook-id": "x" * 300}, "too long"),
        (headers("v2,AAAA"), "no v1 signature"),
        (headers("v1,not*base64"), "no v1 signature"),
    ],
)
def test_malformed_headers_are_refused_with_a_reason(hdrs: dict[str, str], reason: str) -> None:
    with pytest.raises(WebhookAuthError, match=reason):
        SignedHeaders.from_headers(hdrs)


def test_stale_and_future_timestamps_are_refused() -> None:
    body = b"{}"
    key = decode_secret(SECRET)
    for skew in (-301, 301):
        ts = NOW + timedelta(seconds=skew)
        sig = sign(key, "m", int(ts.timestamp()), body)
        with pytest.raises(WebhookAuthError, match="tolerance 300 s"):
            verify_signature(
                [key], SignedHeaders.from_headers(headers(sig, "m", ts)), body, NOW, 300
            )


def test_a_tampered_body_does_not_verify() -> None:
    key = decode_secret(SECRET)
    sig = sign(key, "m", int(NOW.timestamp()), b'{"type":"test"}')
    signed = SignedHeaders.from_headers(headers(sig, "m"))
    with pytest.raises(WebhookAuthError, match="does not match"):
        verify_signature([key], signed, b'{"type":"sos"}', NOW, 300)


def test_replay_cache_refuses_a_repeat_and_forgets_after_its_ttl() -> None:
    cache = ReplayCache(ttl_s=600)
    assert cache.check_and_add("a", 0.0) and not cache.check_and_add("a", 10.0)
    assert cache.check_and_add("a", 700.0)  # expired: the timestamp check refuses it anyway


def test_replay_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_auth, "MAX_REPLAY_IDS", 100)
    cache = ReplayCache(ttl_s=600)
    for i in range(1000):
        cache.check_and_add(f"id{i}", 1.0)
    assert len(cache) <= 100


def test_bearer_token_index_and_refusals() -> None:
    tokens = [b"device-token", b"api-token"]
    assert verify_bearer(tokens, "Bearer api-token") == 1
    assert verify_bearer(tokens, "bearer  device-token ") == 0
    for auth in ("Basic abc", "Bearer ", "Bearer wrong"):
        with pytest.raises(WebhookAuthError):
            verify_bearer(tokens, auth)


def test_secrets_must_be_base64_and_long_enough() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        decode_secret("whsec_***")
    with pytest.raises(ValueError, match="shorter than 16"):
        decode_secret("whsec_" + base64.b64encode(b"short").decode())


@given(
    st.dictionaries(
        st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature"]),
        st.text(max_size=200),
    )
)
def test_any_header_values_give_headers_or_an_auth_error(hdrs: dict[str, str]) -> None:
    try:
        signed = SignedHeaders.from_headers(hdrs)
    except WebhookAuthError as exc:
        assert str(exc)
    else:
        assert signed.signatures and signed.timestamp >= 0
