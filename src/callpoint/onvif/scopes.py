"""ONVIF scope URIs (ONVIF Core, discovery scopes): profiles, name, hardware, location."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

SCOPE_PREFIX = "onvif://www.onvif.org/"

# Profile scope value -> profile letter (ONVIF profile specifications, "scopes" clauses).
PROFILE_LETTERS = {
    "streaming": "S",
    "g": "G",
    "c": "C",
    "q": "Q",
    "a": "A",
    "t": "T",
    "m": "M",
    "d": "D",
}


def scope_values(scopes: Iterable[str], category: str) -> tuple[str, ...]:
    """Values of ``onvif://www.onvif.org/<category>/<value>`` scopes, URL-decoded.

    Matching is case-insensitive on the prefix and category, since devices vary.
    """
    head = (SCOPE_PREFIX + category + "/").lower()
    out = []
    for s in scopes:
        s = s.strip()
        if s.lower().startswith(head):
            out.append(unquote(s[len(head) :]))
    return tuple(out)


def declared_profiles(scopes: Iterable[str]) -> frozenset[str]:
    """Profile letters (S, G, T, M, C, A, D, Q) the device claims in its scopes."""
    letters = set()
    for v in scope_values(scopes, "Profile"):
        letter = PROFILE_LETTERS.get(v.strip("/").lower())
        if letter is not None:
            letters.add(letter)
    return frozenset(letters)


def scope_name(scopes: Iterable[str]) -> str | None:
    """The ``name`` scope, if any."""
    values = scope_values(scopes, "name")
    return values[0] if values else None


def scope_hardware(scopes: Iterable[str]) -> str | None:
    """The ``hardware`` scope, if any."""
    values = scope_values(scopes, "hardware")
    return values[0] if values else None


def scope_locations(scopes: Iterable[str]) -> tuple[str, ...]:
    """Every ``location`` scope."""
    return scope_values(scopes, "location")
