"""Console users: names, roles and argon2 password hashes in the site's SQLite file.

The tables are the console's own (`console_users`, `console_sessions`), created by
`migrate_accounts` next to the store's schema without touching it. Calls are blocking and
short; the server runs them in a thread.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from callpoint.model import utc_now

MAX_NAME_CHARS = 64
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024  # argon2 takes any length; a bound keeps a login cheap to refuse
BUSY_TIMEOUT_S = 5.0
SCHEMA_VERSION = 1

# The argon2-cffi defaults are the RFC 9106 "low memory" profile (argon2id, 64 MiB, t=3).
_hasher = PasswordHasher()
# Verified when the user does not exist, so an unknown name costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("callpoint-no-such-user")


class Role(StrEnum):
    """What a console user may do; each role includes the ones before it."""

    OPERATOR = "operator"  # acknowledge, note, release door, clear
    SUPERVISOR = "supervisor"  # the same, on the supervisor console too
    ADMIN = "admin"  # also reload the configuration

    def includes(self, other: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(other)


@dataclass(frozen=True, slots=True)
class User:
    """A console user, without the hash."""

    name: str
    role: Role
    created_at: datetime
    disabled: bool = False


class AccountError(Exception):
    """A user could not be added or changed (bad name, weak password, duplicate)."""


def migrate_accounts(conn: sqlite3.Connection) -> None:
    """Create the console's tables if they are missing (idempotent)."""
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS console_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS console_users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS console_sessions (
            token_hash TEXT PRIMARY KEY,
            user TEXT NOT NULL REFERENCES console_users(name) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        """
    )
    conn.execute(
        "INSERT OR IGNORE INTO console_meta (key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )


def check_name(name: str) -> str:
    ok = 0 < len(name) <= MAX_NAME_CHARS and all(c.isalnum() or c in "._-@" for c in name)
    if not ok:
        raise AccountError(
            f"user name must be 1-{MAX_NAME_CHARS} letters, digits or . _ - @ (got {name!r})"
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise AccountError(f"password must be {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters")
    return password


class AccountStore:
    """Users and sessions in SQLite; one connection guarded by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self.lock = threading.Lock()

    def open(self) -> None:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
        )
        conn.execute("PRAGMA foreign_keys = ON")
        migrate_accounts(conn)
        self._conn = conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise AccountError("account store is not open")
        return self._conn

    # -- users --------------------------------------------------------------------------

    def add_user(self, name: str, role: Role, password: str) -> User:
        """A new user; raises AccountError if the name is taken or the password too short."""
        user = User(check_name(name), Role(role), utc_now())
        digest = _hasher.hash(check_password(password))
        with self.lock:
            try:
                self.conn.execute(
                    "INSERT INTO console_users (name, role, password_hash, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (user.name, str(user.role), digest, user.created_at.isoformat()),
                )
            except sqlite3.IntegrityError as exc:
                raise AccountError(f"user {name!r} already exists") from exc
        return user

    def set_password(self, name: str, password: str) -> None:
        digest = _hasher.hash(check_password(password))
        with self.lock:
            cur = self.conn.execute(
                "UPDATE console_users SET password_hash = ? WHERE name = ?", (digest, name)
            )
        if cur.rowcount == 0:
            raise AccountError(f"no user {name!r}")

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable (or enable) a user; a disabled user's sessions are ended."""
        with self.lock:
            cur = self.conn.execute(
                "UPDATE console_users SET disabled = ? WHERE name = ?", (int(disabled), name)
            )
            if disabled:
                self.conn.execute("DELETE FROM console_sessions WHERE user = ?", (name,))
        if cur.rowcount == 0:
            raise AccountError(f"no user {name!r}")

    def users(self) -> list[User]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT name, role, created_at, disabled FROM console_users ORDER BY name"
            ).fetchall()
        return [User(r[0], Role(r[1]), datetime.fromisoformat(r[2]), bool(r[3])) for r in rows]

    def user(self, name: str) -> User | None:
        return next((u for u in self.users() if u.name == name), None)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password matches and the account is enabled, else None."""
        if len(password) > MAX_PASSWORD_CHARS:
            return None
        with self.lock:
            row = self.conn.execute(
                "SELECT role, password_hash, created_at, disabled FROM console_users"
                " WHERE name = ?",
                (name,),
            ).fetchone()
        try:
            _hasher.verify(row[1] if row is not None else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or row[3]:
            return None
        if _hasher.check_needs_rehash(row[1]):
            self.set_password(name, password)  # parameters were raised since it was hashed
        return User(name, Role(row[0]), datetime.fromisoformat(row[2]))
