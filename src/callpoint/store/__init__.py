"""Durable storage behind one interface: SQLite embedded, PostgreSQL beyond one machine."""

from callpoint.store.base import (
    ActionUpdate,
    DuplicateEventError,
    EventQuery,
    Store,
    StoreError,
    StoreUnavailableError,
    Write,
)

__all__ = [
    "ActionUpdate",
    "DuplicateEventError",
    "EventQuery",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "Write",
]
