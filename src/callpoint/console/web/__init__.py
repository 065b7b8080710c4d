"""The operator console in the browser: login, the single-page console, static assets.

Plain HTML, CSS and JavaScript shipped as package data; aiohttp serves them, nothing is
built. The page talks to the same JSON API and live stream as machines do, authenticated
by the session cookie instead of a token.
"""

from __future__ import annotations

import asyncio
import html
import logging
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from callpoint.console.accounts import AccountStore
from callpoint.console.sessions import (
    SESSION_COOKIE,
    SESSION_KEY,
    SessionManager,
    same_origin,
    set_session_cookie,
)
from callpoint.console.web.export import events_csv
from callpoint.console.web.throttle import LoginThrottle
from callpoint.media.snapshots import SnapshotError, SnapshotService
from callpoint.model import AuditRecord, new_id, utc_now
from callpoint.runtime import Runtime

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_LOGIN_FIELD_CHARS = 1024
PUBLIC_PATHS = frozenset({"/", "/login", "/logout", "/console/", "/console"})
# Pages: never cached (they carry the CSRF token), never framed (clickjacking an
# "Release door" button), scripts and styles only from our own static files.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def is_public(request: web.Request) -> bool:
    """Paths the API token middleware lets through; their handlers check the session."""
    return request.path in PUBLIC_PATHS or request.path.startswith("/console/static/")


def _safe_next(raw: str | None) -> str:
    # Only our own pages: never an absolute URL or //host (an open redirect).
    if raw and raw.startswith("/console") and not raw.startswith("//"):
        return raw
    return "/console/"


class WebConsole:
    """Routes of the browser console, bound to the runtime and the account store."""

    def __init__(
        self,
        runtime: Runtime,
        accounts: AccountStore,
        sessions: SessionManager,
        snapshots: SnapshotService | None = None,
    ) -> None:
        self.runtime = runtime
        self.snapshots = snapshots
        self.accounts = accounts
        self.sessions = sessions
        self.throttle = LoginThrottle()
        self._login_page = (STATIC_DIR / "login.html").read_text(encoding="utf-8")
        self._index_page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/", self.root),
            web.get("/login", self.login_form),
            web.post("/login", self.login),
            web.post("/logout", self.logout),
            web.get("/console", self.root),
            web.get("/console/", self.index),
            web.static("/console/static", STATIC_DIR),
            web.get("/api/v1/events.csv", self.csv),
            web.get("/api/v1/cameras/{id}/snapshot", self.snapshot),
        ]

    async def root(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/console/")

    def _login_html(self, error: str, next_url: str, status: int = 200) -> web.Response:
        body = self._login_page.replace("{{error}}", html.escape(error)).replace(
            "{{next}}", html.escape(next_url)
        )
        body = body.replace("{{site}}", html.escape(self.runtime.site.config.site.name))
        return web.Response(
            text=body, content_type="text/html", status=status, headers=PAGE_HEADERS
        )

    async def login_form(self, request: web.Request) -> web.Response:
        return self._login_html("", _safe_next(request.query.get("next")))

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        name = str(form.get("username", ""))[:MAX_LOGIN_FIELD_CHARS].strip()
        password = str(form.get("password", ""))[:MAX_LOGIN_FIELD_CHARS]
        next_url = _safe_next(str(form.get("next", "")))
        address = request.remote or "?"
        if not same_origin(request):
            return self._login_html("This form must be sent from this server.", next_url, 403)
        wait = self.throttle.locked_for(name, address)
        if wait > 0:
            return self._login_html(f"Too many attempts; try again in {wait:.0f} s.", next_url, 429)
        user = await asyncio.to_thread(self.accounts.authenticate, name, password)
        if user is None:
            self.throttle.failed(name, address)
            await self._audit(name or "?", "login_failed", {"address": address})
            return self._login_html("Wrong user name or password.", next_url, 401)
        self.throttle.succeeded(name, address)
        token, _ = await asyncio.to_thread(self.sessions.create, user)
        await self._audit(user.name, "login", {"address": address, "role": str(user.role)})
        response = web.HTTPFound(next_url)
        set_session_cookie(request, response, token)
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        session = request.get(SESSION_KEY)
        token = request.cookies.get(SESSION_COOKIE)
        if session is not None and token:
            await asyncio.to_thread(self.sessions.end, token)
            await self._audit(session.user, "logout", {})
        response = web.HTTPFound("/login")
        response.del_cookie(SESSION_COOKIE, path="/")
        raise response

    async def index(self, request: web.Request) -> web.Response:
        session = request.get(SESSION_KEY)
        if session is None:
            raise web.HTTPFound("/login?next=" + quote(request.path_qs, safe="/?=&"))
        values = {
            "{{user}}": session.user,
            "{{role}}": str(session.role),
            "{{csrf}}": session.csrf,
            "{{site}}": self.runtime.site.config.site.name,
        }
        body = self._index_page
        for key, value in values.items():
            body = body.replace(key, html.escape(value))
        return web.Response(text=body, content_type="text/html", headers=PAGE_HEADERS)

    async def csv(self, request: web.Request) -> web.Response:
        return await events_csv(self.runtime, request)

    async def snapshot(self, request: web.Request) -> web.Response:
        """A recent JPEG still of a camera (ONVIF GetSnapshotUri, cached about a second)."""
        camera = request.match_info["id"]
        if camera not in self.runtime.site.cameras:
            return web.json_response({"error": "not found", "detail": camera}, status=404)
        if self.snapshots is None:
            return web.json_response(
                {"error": "not available", "detail": "no snapshot service"}, status=503
            )
        try:
            snap = await self.snapshots.get(camera)
        except SnapshotError as exc:
            return web.json_response({"error": "no snapshot", "detail": str(exc)}, status=502)
        return web.Response(
            body=snap.jpeg, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
        )

    async def _audit(self, actor: str, action: str, detail: dict[str, str]) -> None:
        record = AuditRecord(new_id(), utc_now(), actor[:64], action, "console", detail)
        await self.runtime.audit(record)
