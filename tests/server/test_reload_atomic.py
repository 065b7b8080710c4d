"""A reload is all or nothing: a bad file is refused with 400 and an audit record, and the
running site (its keys included) stays in force; a component that fails is rolled back."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from callpoint.component import SiteReload
from callpoint.ingress.webhook_sender import event_body, signed_headers
from callpoint.model import utc_now
from tests.config.hostile import CASES, HOSTILE_ENV, NEW_SECRET, SITE_SECRET_LINE, write_case
from tests.conftest import EXAMPLE_SITE, WEBHOOK_SECRET
from tests.server.conftest import Live

pytestmark = pytest.mark.asyncio


async def _signed_by(live: Live, secret: str) -> int:
    body = event_body("EXPH-03", "test", utc_now())
    status, _ = await live.post_raw(body, signed_headers(secret, body, utc_now()))
    return status


async def _audit(live: Live) -> list[tuple[str, str, object]]:
    audit = (await live.get("/api/v1/audit"))["audit"]
    return [(a["actor"], a["action"], a.get("details")) for a in audit]


async def test_every_hostile_file_is_refused_by_the_api_and_changes_nothing(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in HOSTILE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CP_NEW_SECRET", NEW_SECRET)
    new_secret = "  secret: {env: CP_NEW_SECRET}\n"
    for case in CASES:
        text, _ = write_case(case, live.config)
        if SITE_SECRET_LINE in text:  # the same file also brings a new, valid site key
            live.config.write_text(text.replace(SITE_SECRET_LINE, new_secret, 1))
        status, body = await live.post("/api/v1/config/reload")
        assert status == 400, (case.name, body)
        assert body["error"] == "config refused"
        assert any(case.message in issue for issue in body["issues"]), (case.name, body)
        assert live.server.runtime.config_generation == 1, case.name
        assert await _signed_by(live, WEBHOOK_SECRET) == 202, case.name  # old key verifies
        assert await _signed_by(live, NEW_SECRET) == 401, case.name  # the new one is not in
    refusals = [a for a in await _audit(live) if a[1] == "config_reload_refused"]
    assert len(refusals) == len(CASES)


async def test_sighup_with_a_depth_bomb_is_audited_and_a_good_file_still_reloads(
    live: Live,
) -> None:
    stop = asyncio.Event()
    live.server.install_signal_handlers(stop)
    loop = asyncio.get_running_loop()
    try:
        live.config.write_text(EXAMPLE_SITE.read_text() + "x: " + "[" * 3000 + "]" * 3000)
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(100):
            if any(a[1] == "config_reload_refused" for a in await _audit(live)):
                break
            await asyncio.sleep(0.02)
        assert ("SIGHUP", "config_reload_refused") in [a[:2] for a in await _audit(live)]
        live.config.write_text(EXAMPLE_SITE.read_text().replace("Tank Farm East", "TFE II", 1))
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(100):
            if live.server.runtime.config_generation == 2:
                break
            await asyncio.sleep(0.02)
        assert live.server.site.config.site.name == "TFE II"
    finally:
        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def test_a_component_that_fails_is_rolled_back_audited_and_answered_400(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CP_NEW_SECRET", NEW_SECRET)
    live.config.write_text(
        EXAMPLE_SITE.read_text().replace(SITE_SECRET_LINE, "  secret: {env: CP_NEW_SECRET}\n")
    )
    sites: list[str] = []

    async def broken(change: SiteReload) -> None:
        sites.append(
            change.site.config.webhook.secret.describe()
            if change.site.config.webhook.secret
            else ""
        )
        if len(sites) == 1:
            raise OSError("syslog receiver unreachable")

    monkeypatch.setattr(live.server.syslog, "reload", broken)
    status, body = await live.post("/api/v1/config/reload")
    assert status == 400, body
    assert body["issues"] == [
        "SyslogListener could not take the new config: syslog receiver unreachable"
    ]
    assert sites == ["env CP_NEW_SECRET", "env CALLPOINT_WEBHOOK_SECRET"]  # then rolled back
    assert await _signed_by(live, WEBHOOK_SECRET) == 202
    assert await _signed_by(live, NEW_SECRET) == 401
    failed = [a for a in await _audit(live) if a[1] == "config_reload_failed"]
    assert len(failed) == 1
