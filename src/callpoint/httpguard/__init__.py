"""Limits every HTTP port of ours holds against hostile peers (issue 11).

A request is read whole and bounded (`body`); connections are counted per peer and in
total, timed, and the oldest idle ones shed first (`book`, `guard`); routes carry body
limits sized to what they take (`middleware`).
"""

from callpoint.httpguard.body import read_bounded
from callpoint.httpguard.book import ConnectionBook, raise_nofile_limit
from callpoint.httpguard.guard import GuardedConnection, guarded_factory
from callpoint.httpguard.middleware import BodyBudget, guard_middleware
from callpoint.httpguard.site import GuardedSockSite

__all__ = [
    "BodyBudget",
    "ConnectionBook",
    "GuardedConnection",
    "GuardedSockSite",
    "guard_middleware",
    "guarded_factory",
    "raise_nofile_limit",
    "read_bounded",
]
