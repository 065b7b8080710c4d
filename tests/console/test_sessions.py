"""Login, session cookie, CSRF, roles, logout, throttling, CSV export, the snapshot hook:
over HTTP on loopback against a real server, as a browser would send them."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from callpoint.console.sessions import SESSION_COOKIE
from callpoint.console.web.throttle import MAX_FAILURES
from tests.conftest import API_TOKEN
from tests.console.conftest import PASSWORD, Console

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def browser_http() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe=True: keep cookies set by an IP address host (127.0.0.1), as browsers do.
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        yield http


async def login(
    http: aiohttp.ClientSession, cp: Console, user: str, password: str = PASSWORD
) -> aiohttp.ClientResponse:
    form = {"username": user, "password": password, "next": "/console/"}
    return await http.post(f"{cp.url}/login", data=form, allow_redirects=False)


async def csrf_of(http: aiohttp.ClientSession, cp: Console) -> str:
    async with http.get(f"{cp.url}/console/") as r:
        assert r.status == 200
        page = await r.text()
    marker = '<meta name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


async def test_console_page_needs_a_login(cp: Console, browser_http: aiohttp.ClientSession) -> None:
    async with browser_http.get(f"{cp.url}/console/?console=wall", allow_redirects=False) as r:
        assert r.status == 302
        assert r.headers["Location"].startswith("/login?next=/console/")
    async with browser_http.get(f"{cp.url}/api/v1/incidents") as r:
        assert r.status == 401


async def test_login_sets_a_strict_httponly_cookie_and_is_audited(
    cp: Console, browser_http: aiohttp.ClientSession
) -> None:
    r = await login(browser_http, cp, "alice")
    assert r.status == 302 and r.headers["Location"] == "/console/"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback; set whenever the request is https
    async with browser_http.get(f"{cp.url}/api/v1/incidents") as r:
        assert r.status == 200
    async with browser_http.get(f"{cp.url}/console/") as r:
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["Cache-Control"] == "no-store"
    audit = await cp.api("/api/v1/audit")
    assert ("alice", "login") in {(a["actor"], a["action"]) for a in audit["audit"]}
    row = cp.server.accounts.conn.execute("SELECT password_hash FROM console_users").fetchone()
    assert row[0].startswith("$argon2id$")


async def test_wrong_password_is_refused_audited_and_throttled(
    cp: Console, browser_http: aiohttp.ClientSession
) -> None:
    for _ in range(MAX_FAILURES):
        r = await login(browser_http, cp, "alice", "not the password")
        assert r.status == 401
        assert SESSION_COOKIE not in r.cookies
    r = await login(browser_http, cp, "alice")  # even the right password waits now
    assert r.status == 429
    r = await login(browser_http, cp, "nobody", "whatever-long")
    assert r.status == 401
    audit = await cp.api("/api/v1/audit")
    failed = [a for a in audit["audit"] if a["action"] == "login_failed"]
    assert len(failed) == MAX_FAILURES + 1


async def test_post_with_cookie_needs_the_csrf_token(
    cp: Console, browser_http: aiohttp.ClientSession
) -> None:
    _, sos, _ = await cp.post_event("EXPH-03", "sos")
    ack = f"{cp.url}/api/v1/incidents/{sos['incident_id']}/ack"
    await login(browser_http, cp, "alice")
    token = await csrf_of(browser_http, cp)
    async with browser_http.post(ack) as r:
        assert r.status == 403
    async with browser_http.post(ack, headers={"X-CSRF-Token": "forged"}) as r:
        assert r.status == 403
    evil = {"X-CSRF-Token": token, "Origin": "http://evil.example"}
    async with browser_http.post(ack, headers=evil) as r:
        assert r.status == 403
    async with browser_http.post(ack, headers={"X-CSRF-Token": token}) as r:
        assert r.status == 200
        assert (await r.json())["incident"]["acknowledged_by"] == "alice"
    note = f"{cp.url}/api/v1/incidents/{sos['incident_id']}/note"
    async with browser_http.post(
        note, json={"text": "gate team sent"}, headers={"X-CSRF-Token": token}
    ) as r:
        assert r.status == 200
    audit = await cp.api("/api/v1/audit")
    mine = {(a["action"], a["subject"]) for a in audit["audit"] if a["actor"] == "alice"}
    assert {("acknowledge", sos["incident_id"]), ("note", sos["incident_id"])} <= mine


async def test_config_reload_needs_the_admin_role(
    cp: Console, browser_http: aiohttp.ClientSession
) -> None:
    reload_url = f"{cp.url}/api/v1/config/reload"
    await login(browser_http, cp, "alice")
    headers = {"X-CSRF-Token": await csrf_of(browser_http, cp)}
    async with browser_http.post(reload_url, headers=headers) as r:
        assert r.status == 403
    browser_http.cookie_jar.clear()
    await login(browser_http, cp, "root")
    headers = {"X-CSRF-Token": await csrf_of(browser_http, cp)}
    async with browser_http.post(reload_url, headers=headers) as r:
        assert r.status == 200
    audit = await cp.api("/api/v1/audit")
    assert ("root", "config_reload") in {(a["actor"], a["action"]) for a in audit["audit"]}


async def test_logout_ends_the_session_for_good(
    cp: Console, browser_http: aiohttp.ClientSession
) -> None:
    r = await login(browser_http, cp, "sam")
    stolen = r.cookies[SESSION_COOKIE].value
    token = await csrf_of(browser_http, cp)
    async with browser_http.post(
        f"{cp.url}/logout", data={"csrf": token}, allow_redirects=False
    ) as r:
        assert r.status == 302
    async with aiohttp.ClientSession() as other:
        cookie = {"Cookie": f"{SESSION_COOKIE}={stolen}"}
        async with other.get(f"{cp.url}/api/v1/incidents", headers=cookie) as r:
            assert r.status == 401


async def test_disabled_user_is_logged_out(
    cp: Console, browser_http: aiohttp.ClientSession
) -> None:
    await login(browser_http, cp, "alice")
    cp.server.accounts.set_disabled("alice", True)
    cp.server.sessions._cache.clear()  # as after REVALIDATE_S
    async with browser_http.get(f"{cp.url}/api/v1/incidents") as r:
        assert r.status == 401
    r = await login(browser_http, cp, "alice")
    assert r.status == 401


async def test_login_redirect_stays_on_this_server(
    cp: Console, browser_http: aiohttp.ClientSession
) -> None:
    form = {"username": "alice", "password": PASSWORD, "next": "//evil.example/console"}
    async with browser_http.post(f"{cp.url}/login", data=form, allow_redirects=False) as r:
        assert r.headers["Location"] == "/console/"


async def test_api_tokens_still_work_for_machines(cp: Console) -> None:
    body = await cp.api("/api/v1/incidents")
    assert body == {"incidents": []}


async def test_event_log_exports_as_csv_with_filters(
    cp: Console, browser_http: aiohttp.ClientSession
) -> None:
    await cp.post_event("EXPH-03", "sos")
    await cp.post_event("EXPH-07", "off_hook")
    await login(browser_http, cp, "alice")
    async with browser_http.get(f"{cp.url}/api/v1/events.csv?type=sos") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(await r.text())))
    assert rows[0][:5] == ["received_at", "device_time", "device", "location", "type"]
    assert [(row[2], row[4]) for row in rows[1:]] == [("EXPH-03", "sos")]
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with aiohttp.ClientSession() as machine:
        async with machine.get(f"{cp.url}/api/v1/events.csv", headers=headers) as r:
            assert len((await r.text()).strip().splitlines()) == 3
        async with machine.get(f"{cp.url}/api/v1/events.csv?type=bogus", headers=headers) as r:
            assert r.status == 400


async def test_camera_snapshot_without_an_onvif_endpoint_says_why(cp: Console) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    url = f"{cp.url}/api/v1/cameras/TANKFARM-EAST-PTZ-01/snapshot"
    async with cp.http.get(url, headers=headers) as r:
        assert r.status == 502 and "no ONVIF endpoint" in (await r.json())["detail"]
    async with cp.http.get(f"{cp.url}/api/v1/cameras/NOPE/snapshot", headers=headers) as r:
        assert r.status == 404
