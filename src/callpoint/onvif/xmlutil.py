"""Small helpers to build request bodies and to read replies tolerantly.

Replies are read by *local name*: devices put elements in the wrong ONVIF namespace (tt
for tds and back), so a strict namespace match would refuse replies every client accepts.
Requests are always built with the right namespaces, since they are validated against the
ONVIF XSDs in the tests. Missing mandatory parts raise :class:`RemoteProtocolError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from lxml import etree

from callpoint.onvif.errors import LocalProtocolError, RemoteProtocolError
from callpoint.onvif.namespaces import NSMAP

Element = etree._Element
_PREFIXES = {uri: prefix for prefix, uri in NSMAP.items()}


def local(el: Element) -> str:
    """The local name of an element's tag (comments and PIs give "")."""
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def make(tag: str, *children: Element | None, text: str | None = None, **attrs: str) -> Element:
    """An element ``{ns}local`` with the conventional prefixes declared where needed."""
    ns = tag[1:].partition("}")[0] if tag.startswith("{") else None
    prefix = _PREFIXES.get(ns) if ns else None
    el = etree.Element(tag, attrs, nsmap={prefix: ns} if prefix and ns else None)
    if text is not None:
        el.text = text
    for c in children:
        if c is not None:
            el.append(c)
    return el


def child(parent: Element, name: str) -> Element | None:
    """The first child element with local name ``name``, any namespace."""
    suffix = "}" + name
    for c in parent:
        tag = c.tag
        if isinstance(tag, str) and (tag.endswith(suffix) or tag == name):
            return c
    return None


def children(parent: Element, name: str) -> list[Element]:
    """Every child element with local name ``name``, any namespace."""
    suffix = "}" + name
    return [
        c for c in parent if isinstance(c.tag, str) and (c.tag.endswith(suffix) or c.tag == name)
    ]


def child_texts(parent: Element) -> dict[str, str]:
    """Stripped text of each child element by local name (the first of a name wins):
    one pass for replies read field by field, like GetDeviceInformationResponse."""
    out: dict[str, str] = {}
    for c in parent:
        tag = c.tag
        if isinstance(tag, str):
            name = tag[tag.rfind("}") + 1 :]
            if name not in out:
                out[name] = (c.text or "").strip()
    return out


def path(parent: Element, *names: str) -> Element | None:
    """Follow a chain of local names; None as soon as one is missing."""
    el: Element | None = parent
    for n in names:
        if el is None:
            return None
        el = child(el, n)
    return el


def need(parent: Element, *names: str) -> Element:
    """Like :func:`path` but a missing element is the peer's error."""
    el = path(parent, *names)
    if el is None:
        raise RemoteProtocolError(f"{local(parent)} lacks {'/'.join(names)}")
    return el


def text(parent: Element, *names: str) -> str | None:
    """Stripped text at a chain of local names, or None if absent."""
    el = path(parent, *names)
    if el is None:
        return None
    return (el.text or "").strip()


def need_text(parent: Element, *names: str) -> str:
    """Stripped text at a chain of local names; absent is the peer's error."""
    return (need(parent, *names).text or "").strip()


def expect(body: Element | None, name: str) -> Element:
    """Check a reply body is the element ``name`` (any namespace) and return it."""
    if body is None:
        raise RemoteProtocolError(f"expected {name}, got an empty Body")
    if local(body) != name:
        raise RemoteProtocolError(f"expected {name}, got {local(body) or body.tag!r}")
    return body


def to_bool(value: str | None, default: bool | None = None) -> bool:
    """xs:boolean; a missing value gives ``default`` or raises."""
    if value is None or value == "":
        if default is None:
            raise RemoteProtocolError("missing boolean")
        return default
    v = value.strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise RemoteProtocolError(f"not a boolean: {value!r}")


def to_int(value: str | None) -> int | None:
    """xs:int, or None if absent."""
    if value is None or value.strip() == "":
        return None
    try:
        return int(value.strip())
    except ValueError as exc:
        raise RemoteProtocolError(f"not an integer: {value!r}") from exc


def to_float(value: str | None) -> float | None:
    """xs:float, or None if absent."""
    if value is None or value.strip() == "":
        return None
    try:
        return float(value.strip())
    except ValueError as exc:
        raise RemoteProtocolError(f"not a number: {value!r}") from exc


def to_datetime(value: str | None) -> datetime | None:
    """xs:dateTime to an aware datetime (no zone means UTC, as devices intend)."""
    if value is None or value.strip() == "":
        return None
    v = value.strip()
    if v[-1:] in ("Z", "z"):
        v = v[:-1] + "+00:00"
    # Python < 3.11 quirks aside, fromisoformat wants at most 6 fraction digits.
    v = re.sub(r"(\.\d{6})\d+", r"\1", v)
    try:
        dt = datetime.fromisoformat(v)
    except ValueError as exc:
        raise RemoteProtocolError(f"not a dateTime: {value!r}") from exc
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


_DURATION = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def to_seconds(value: str | None) -> float | None:
    """xs:duration to seconds (years as 365 days, months as 30: devices use PT forms)."""
    if value is None or value.strip() == "":
        return None
    m = _DURATION.match(value.strip())
    if m is None or value.strip() in ("P", "PT", "-P"):
        raise RemoteProtocolError(f"not a duration: {value!r}")
    sign, y, mo, d, h, mi, s = m.groups()
    total = (
        int(y or 0) * 365 * 86400
        + int(mo or 0) * 30 * 86400
        + int(d or 0) * 86400
        + int(h or 0) * 3600
        + int(mi or 0) * 60
        + float(s or 0)
    )
    return -total if sign else total


def duration(seconds: float) -> str:
    """Seconds as an xs:duration (``PT10S``, ``PT0.5S``)."""
    if seconds < 0:
        raise LocalProtocolError("durations we send are never negative")
    if float(seconds).is_integer():
        return f"PT{int(seconds)}S"
    return f"PT{seconds:.3f}".rstrip("0").rstrip(".") + "S"


def datetime_text(dt: datetime) -> str:
    """An aware datetime as xs:dateTime in UTC with a ``Z``."""
    if dt.tzinfo is None:
        raise LocalProtocolError("datetimes we send must be timezone-aware")
    utc = dt.astimezone(UTC)
    frac = f".{utc.microsecond // 1000:03d}" if utc.microsecond else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def attrs_of(el: Element | None) -> Mapping[str, str]:
    """An element's attributes by local name (for capability flags)."""
    if el is None:
        return {}
    return {str(k).rpartition("}")[2]: str(v) for k, v in el.attrib.items()}


__all__ = [
    "Element",
    "attrs_of",
    "child",
    "child_texts",
    "children",
    "datetime_text",
    "duration",
    "expect",
    "local",
    "make",
    "need",
    "need_text",
    "path",
    "text",
    "to_bool",
    "to_datetime",
    "to_float",
    "to_int",
    "to_seconds",
]
