"""Shared fixtures for the whole suite."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from callpoint.config import Site, load_site

pytest_plugins = ["tests.support.hygiene", "tests.support.peers"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SITE = ROOT / "examples" / "site.yaml"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"callpoint-test-secret-0123456789").decode()
API_TOKEN = "test-api-token-5f3a"


@pytest.fixture
def site_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment variables examples/site.yaml reads its secrets from."""
    monkeypatch.setenv("CALLPOINT_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("CALLPOINT_API_TOKEN", API_TOKEN)
    yield


@pytest.fixture
def example_site(site_env: None) -> Site:
    return load_site(EXAMPLE_SITE)
