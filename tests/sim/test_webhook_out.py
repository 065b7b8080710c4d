"""Which credentials a simulated device signs its webhooks with."""

from __future__ import annotations

import pytest

from callpoint.config import parse_site
from callpoint.ingress.webhook_auth import (
    SignedHeaders,
    WebhookAuthError,
    decode_secret,
    verify_signature,
)
from callpoint.model import utc_now
from callpoint.sim.webhook_out import DeviceAuth
from tests.conftest import EXAMPLE_SITE, WEBHOOK_SECRET

DEVICE_SECRET = "whsec_" + "ZGV2aWNlLW93bi1zZWNyZXQtMDEyMzQ1Njc4OWFi"


@pytest.fixture
def auth(site_env: None, monkeypatch: pytest.MonkeyPatch) -> DeviceAuth:
    monkeypatch.setenv("EXPH07_TOKEN", "tok-07-0123456789ab")
    monkeypatch.setenv("EXPH03_SECRET", DEVICE_SECRET)
    text = EXAMPLE_SITE.read_text()
    text = text.replace(
        '    sip: {extension: "2007"}\n',
        '    sip: {extension: "2007"}\n    webhook: {token: {env: EXPH07_TOKEN}}\n',
    )
    text = text.replace(
        '    sip: {extension: "2003"}\n',
        '    sip: {extension: "2003"}\n    webhook: {secret: {env: EXPH03_SECRET}}\n',
    )
    return DeviceAuth(parse_site(text, "site.yaml").config)


def _verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    signed = SignedHeaders.from_headers(headers)
    try:
        verify_signature([decode_secret(secret)], signed, body, utc_now(), 60)
    except WebhookAuthError:
        return False
    return True


def test_own_secret_then_token_then_site_secret(auth: DeviceAuth) -> None:
    body = b'{"device":"x"}'
    own = auth.headers("EXPH-03", body)
    assert _verifies(DEVICE_SECRET, own, body) and not _verifies(WEBHOOK_SECRET, own, body)
    assert auth.headers("EXPH-07", body)["Authorization"] == "Bearer tok-07-0123456789ab"
    site = auth.headers("GATE-INTERCOM-01", body)
    assert _verifies(WEBHOOK_SECRET, site, body)
