"""Numbered schema migrations for the SQLite store.

The schema version lives in `PRAGMA user_version`; `application_id` marks the file as
ours so that a foreign database is refused rather than altered. Migration N brings a
database from version N-1 to N inside one transaction. Never edit a released migration:
append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Final

from callpoint.store.base import StoreError
from callpoint.store.payload_codec import upgrade_legacy_rows

Step = str | Callable[[sqlite3.Connection], None]
"""One SQL statement, or a function for a data change SQL cannot express."""

# "CPNT" as a big-endian 32-bit integer: identifies a callpoint database file.
APPLICATION_ID: Final = 0x43504E54

MIGRATIONS: Final[tuple[tuple[Step, ...], ...]] = (
    # 1: events, incidents, the action outbox and the audit trail.
    (
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            device_id TEXT NOT NULL,
            location TEXT NOT NULL,
            type TEXT NOT NULL,
            device_time TEXT NOT NULL,
            received_at TEXT NOT NULL,
            source TEXT NOT NULL,
            priority INTEGER NOT NULL,
            attributes TEXT NOT NULL,
            suppressed INTEGER NOT NULL,
            incident_id TEXT
        )""",
        "CREATE INDEX events_device ON events (device_id, seq)",
        "CREATE INDEX events_location ON events (location, seq)",
        "CREATE INDEX events_type ON events (type, seq)",
        "CREATE INDEX events_received ON events (received_at)",
        "CREATE INDEX events_incident ON events (incident_id, seq) WHERE incident_id IS NOT NULL",
        """CREATE TABLE incidents (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            location TEXT NOT NULL,
            device_id TEXT NOT NULL,
            trigger TEXT NOT NULL,
            priority INTEGER NOT NULL,
            state TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            consoles TEXT NOT NULL,
            escalation_level INTEGER NOT NULL,
            acknowledged_by TEXT,
            acknowledged_at TEXT,
            cleared_at TEXT,
            timeline TEXT NOT NULL
        )""",
        "CREATE INDEX incidents_opened ON incidents (opened_at, seq)",
        "CREATE INDEX incidents_state ON incidents (state, opened_at, seq)",
        """CREATE TABLE actions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            event_id TEXT NOT NULL,
            incident_id TEXT,
            priority INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            params TEXT NOT NULL,
            due_at TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            last_error TEXT,
            finished_at TEXT
        )""",
        # The outbox claim scans only planned rows, by kind and due time.
        "CREATE INDEX actions_planned ON actions (kind, due_at) WHERE state = 'planned'",
        "CREATE INDEX actions_state ON actions (state, seq)",
        "CREATE INDEX actions_incident ON actions (incident_id, seq) WHERE incident_id IS NOT NULL",
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            detail TEXT NOT NULL
        )""",
    ),
    # 2: incidents remember a live call (call connected).
    ("ALTER TABLE incidents ADD COLUMN live INTEGER NOT NULL DEFAULT 0",),
    # 3: actions carry a typed payload as versioned JSON instead of flat string params.
    ("ALTER TABLE actions RENAME COLUMN params TO payload", upgrade_legacy_rows),
)

SCHEMA_VERSION: Final = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version recorded in the database file (0 for a new file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to `target`; return the version it had before.

    `conn` must be in autocommit mode (isolation_level=None): each step is its own
    BEGIN IMMEDIATE ... COMMIT, so a crash leaves a whole version, never half of one.
    """
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    found = schema_version(conn)
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and found != 0):
        raise StoreError(f"not a callpoint database (application_id={app_id:#x})")
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {found} is newer than this callpoint "
            f"(knows up to {SCHEMA_VERSION}); upgrade callpoint"
        )
    for version in range(found + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for step in MIGRATIONS[version - 1]:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn)
            # PRAGMAs take no parameters; both values are integers we computed.
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version}")
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a row a step cannot read
            conn.execute("ROLLBACK")
            raise StoreError(f"migration to schema version {version} failed: {exc}") from exc
        conn.execute("COMMIT")
    return found
