"""The bridge against password guessing (issue 11, defect 6): its generated password is
never logged but kept in a file of mode 0600, and failed logins show in /healthz."""

from __future__ import annotations

import logging
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from callpoint.bridge.password_file import FILE_NAME, PasswordFileError, generated_password
from callpoint.codecs.soap import build_envelope
from callpoint.model import utc_now
from callpoint.onvif.namespaces import TDS
from callpoint.onvif.security import username_token
from callpoint.server import ServeOptions, Server
from tests.conftest import EXAMPLE_SITE
from tests.onvif.server.soapcall import element


@pytest_asyncio.fixture
async def server(
    tmp_path: Path, site_env: None, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Server]:
    """The example site as shipped: a bridged phone and no bridge password."""
    caplog.set_level(logging.DEBUG)
    config = tmp_path / "site.yaml"
    config.write_text(EXAMPLE_SITE.read_text())
    srv = Server(ServeOptions(config, tmp_path / "cp.db", listen="127.0.0.1:0"))
    await srv.start()
    yield srv
    await srv.stop()


async def _login(url: str, password: str) -> int:
    data = build_envelope(
        element(TDS, "GetDeviceInformation"), [username_token("admin", password, utc_now())]
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=data, headers={"Content-Type": "application/soap+xml"}) as r,
    ):
        return r.status


@pytest.mark.asyncio
async def test_generated_password_is_in_a_0600_file_and_never_logged(
    server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / FILE_NAME
    password = server.bridge.password
    assert path.read_text() == password + "\n" and len(password) >= 24
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [bridged] = server.bridge.devices
    assert await _login(bridged.url, "wrong-1") == 400
    assert await _login(bridged.url, "wrong-2") == 400
    assert await _login(bridged.url, password) == 200
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/healthz") as r,
    ):
        health = await r.json()
    assert health["onvif_auth_failures"] == 2
    assert health["onvif_auth_peers_throttled"] == 0
    # Start-up logged in the fixture's setup phase, the logins in the call phase.
    messages = [r.getMessage() for r in caplog.get_records("setup") + caplog.records]
    assert messages and not [m for m in messages if password in m]
    assert (
        f"onvif_bridge.password is not set: the password of user admin is in {path} (mode 0600)"
        in messages
    )
    # Failures are logged sparsely: one line for the two.
    refused = [m for m in messages if m.startswith("ONVIF auth refused on EXPH-07")]
    assert len(refused) == 1


def test_password_file_is_kept_across_starts_and_tightened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / FILE_NAME
    first = generated_password(path)
    path.chmod(0o644)
    assert generated_password(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert caplog.messages == [f"{path} was readable by others: mode set to 0600"]
    path.write_text("")
    with pytest.raises(PasswordFileError, match="does not hold a password"):
        generated_password(path)
    (tmp_path / "link").symlink_to(path)
    with pytest.raises(PasswordFileError, match="cannot open"):
        generated_password(tmp_path / "link")
