"""JSON encoding on the hot path (store rows, the live stream, API answers).

orjson is several times faster than the standard encoder; it refuses strings that are not
valid UTF-8 (a lone surrogate from hostile input), and then the standard encoder, with
escapes, takes over, so nothing is lost either way.
"""

from __future__ import annotations

import json
import math

import orjson

_ASCII = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _fallback(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def dumps_sorted(value: object) -> str:
    """Compact JSON with sorted keys, UTF-8 kept as is (stable text for the store).

    orjson writes inf and nan as null; a flat mapping holding one is encoded by the
    standard encoder so the store gets back exactly what it was given.
    """
    if isinstance(value, dict) and any(
        type(v) is float and not math.isfinite(v) for v in value.values()
    ):
        return _ASCII.encode(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return _ASCII.encode(value)


def dumps_bytes(value: object) -> bytes:
    """Compact JSON as bytes (stream frames, HTTP bodies); odd values become strings."""
    try:
        return orjson.dumps(value, default=str)
    except (orjson.JSONEncodeError, TypeError):
        return _fallback(value).encode()


def dumps_text(value: object) -> str:
    """`dumps_bytes` as text, for aiohttp's json_response(dumps=...)."""
    return dumps_bytes(value).decode()
