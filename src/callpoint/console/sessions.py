"""Browser sessions: an opaque cookie, a CSRF token per session, roles checked per route.

The cookie holds 32 random bytes; the database holds only their SHA-256, so a copy of the
database does not log anyone in. Requests that carry the cookie and change something must
also carry the session's CSRF token in `X-CSRF-Token` (or a `csrf` form field) and, when
the browser sends one, an `Origin` of this server.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from callpoint.console.accounts import AccountStore, Role, User
from callpoint.console.api import ACTOR_KEY
from callpoint.model import utc_now

log = logging.getLogger(__name__)

SESSION_COOKIE = "callpoint_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL_S = 12 * 3600  # one control-room shift; then log in again
REVALIDATE_S = 30.0  # a cached session is checked against the database this often
MAX_CACHED_SESSIONS = 10_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Cookie-authenticated routes that need more than the operator role.
ROLE_REQUIRED: dict[tuple[str, str], Role] = {("POST", "/api/v1/config/reload"): Role.ADMIN}


@dataclass(frozen=True, slots=True)
class Session:
    """One logged-in browser."""

    token_hash: str
    user: str
    role: Role
    csrf: str
    expires_at: datetime
    checked: float  # time.monotonic() of the last database check


SESSION_KEY = web.RequestKey("session", Session)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionManager:
    """Creates, finds and ends sessions; the database is the truth, memory a cache."""

    def __init__(self, accounts: AccountStore) -> None:
        self.accounts = accounts
        self._cache: dict[str, Session] = {}

    def create(self, user: User) -> tuple[str, Session]:
        """A new session for `user`; returns the cookie value and the session."""
        token = secrets.token_urlsafe(32)
        now = utc_now()
        session = Session(
            _digest(token),
            user.name,
            user.role,
            secrets.token_urlsafe(24),
            now + timedelta(seconds=SESSION_TTL_S),
            time.monotonic(),
        )
        with self.accounts.lock:
            self.accounts.conn.execute(
                "DELETE FROM console_sessions WHERE expires_at < ?", (now.isoformat(),)
            )
            self.accounts.conn.execute(
                "INSERT INTO console_sessions (token_hash, user, csrf, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session.token_hash, user.name, session.csrf, now.isoformat(), _iso(session)),
            )
        self._remember(session)
        return token, session

    def find(self, token: str) -> Session | None:
        """The live session for a cookie value, or None (unknown, expired, user disabled)."""
        key = _digest(token)
        session = self._cache.get(key)
        now = time.monotonic()
        if session is None or now - session.checked > REVALIDATE_S:
            session = self._load(key, now)
        if session is None or session.expires_at <= utc_now():
            self._cache.pop(key, None)
            return None
        return session

    def end(self, token: str) -> None:
        key = _digest(token)
        self._cache.pop(key, None)
        with self.accounts.lock:
            self.accounts.conn.execute("DELETE FROM console_sessions WHERE token_hash = ?", (key,))

    def _load(self, key: str, now: float) -> Session | None:
        # One indexed row on a local file: well under a millisecond, so it runs inline.
        with self.accounts.lock:
            row = self.accounts.conn.execute(
                "SELECT s.user, u.role, s.csrf, s.expires_at FROM console_sessions s"
                " JOIN console_users u ON u.name = s.user"
                " WHERE s.token_hash = ? AND u.disabled = 0",
                (key,),
            ).fetchone()
        if row is None:
            self._cache.pop(key, None)
            return None
        session = Session(key, row[0], Role(row[1]), row[2], datetime.fromisoformat(row[3]), now)
        self._remember(session)
        return session

    def _remember(self, session: Session) -> None:
        if len(self._cache) >= MAX_CACHED_SESSIONS:
            self._cache.clear()  # rebuilt from the database on the next requests
        self._cache[session.token_hash] = session


def _iso(session: Session) -> str:
    return session.expires_at.isoformat()


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """HttpOnly, SameSite=Strict, and Secure whenever the request came over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_TTL_S,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def same_origin(request: web.Request) -> bool:
    """False when the browser says the request comes from another site."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin == f"{request.scheme}://{request.host}"


def _json_error(status: int, reason: str, detail: str) -> web.Response:
    return web.json_response({"error": reason, "detail": detail}, status=status)


def session_middleware(sessions: SessionManager) -> Middleware:
    """Authenticates by session cookie; enforces CSRF and roles on cookie requests."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = request.cookies.get(SESSION_COOKIE)
        session = sessions.find(token) if token else None
        if session is None:
            return await handler(request)
        request[SESSION_KEY] = session
        request[ACTOR_KEY] = session.user
        if request.method not in SAFE_METHODS and request.path != "/login":
            given = request.headers.get(CSRF_HEADER, "")
            if not given and request.content_type == "application/x-www-form-urlencoded":
                given = str((await request.post()).get("csrf", ""))
            if not same_origin(request) or not hmac.compare_digest(
                given.encode(), session.csrf.encode()
            ):
                log.warning(
                    "CSRF check failed for %s %s by %s", request.method, request.path, session.user
                )
                return _json_error(403, "forbidden", "missing or wrong CSRF token")
        needed = ROLE_REQUIRED.get((request.method, request.path))
        if needed is not None and not session.role.includes(needed):
            return _json_error(403, "forbidden", f"the {needed} role is required")
        return await handler(request)

    return middleware
