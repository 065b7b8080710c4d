"""WS-Security UsernameToken with PasswordDigest, client and server side.

OASIS Web Services Security UsernameToken Profile 1.0, section 3.1:
``PasswordDigest = Base64(SHA-1(nonce + created + password))``, where ``nonce`` is the raw
bytes (sent base64-encoded) and ``created`` the exact text of ``wsu:Created``. ONVIF Core's
security chapter requires devices to accept it. The ``created`` time the client sends is
corrected by the device's clock offset (the caller passes ``now`` already corrected).
HTTP Digest helpers live in :mod:`callpoint.onvif.httpdigest` and are re-exported here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape as xml_escape

from lxml import etree

from callpoint.onvif.errors import LocalProtocolError, NotAuthorizedFault
from callpoint.onvif.httpdigest import (
    DigestChallenge,
    DigestCredentials,
    digest_authorization,
    make_challenge,
    make_nonce,
    parse_authorization,
    parse_challenge,
    verify_digest,
)
from callpoint.onvif.namespaces import (
    SOAP_ENV,
    WSSE,
    WSSE_BASE64,
    WSSE_PASSWORD_DIGEST,
    WSSE_PASSWORD_TEXT,
    WSU,
    qname,
)
from callpoint.onvif.replay import NonceCache

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "NONCE_BYTES",
    "DigestChallenge",
    "DigestCredentials",
    "NonceCache",
    "created_now",
    "digest_authorization",
    "format_created",
    "make_challenge",
    "make_nonce",
    "parse_authorization",
    "parse_challenge",
    "password_digest",
    "username_token",
    "username_token_now",
    "username_token_xml",
    "verify_digest",
    "verify_username_token",
]

NONCE_BYTES = 16
"""Length of the random nonce we send, in bytes."""
MAX_NONCE_BYTES = 256
"""Longest nonce accepted from a client, in bytes (decoded)."""
DEFAULT_TOLERANCE_S = 300.0
"""Accepted distance between a token's Created time and our clock, in seconds (5 min,
the usual WS-Security freshness window)."""

_SECURITY = qname(WSSE, "Security")
_TOKEN = qname(WSSE, "UsernameToken")


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """``Base64(SHA-1(nonce + created + password))`` as UsernameToken Profile 3.1 defines."""
    sha = hashlib.sha1(nonce + created.encode() + password.encode(), usedforsecurity=False)
    return base64.b64encode(sha.digest()).decode("ascii")


def format_created(now: datetime) -> str:
    """``wsu:Created`` text: UTC, whole milliseconds, ``Z`` suffix (xs:dateTime)."""
    if now.tzinfo is None:
        raise LocalProtocolError("created time must be timezone-aware")
    u = now.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
        f"{u.second:02d}.{u.microsecond // 1000:03d}Z"
    )


def username_token(
    user: str, password: str, now: datetime, nonce: bytes | None = None
) -> etree._Element:
    """A ``wsse:Security`` header block carrying a PasswordDigest UsernameToken.

    ``now`` is the device's idea of the time (our clock plus its measured offset).
    """
    if nonce is None:
        nonce = secrets.token_bytes(NONCE_BYTES)
    created = format_created(now)
    sec = etree.Element(_SECURITY, nsmap={"wsse": WSSE, "wsu": WSU, "s": SOAP_ENV})
    sec.set(qname(SOAP_ENV, "mustUnderstand"), "1")
    token = etree.SubElement(sec, _TOKEN)
    etree.SubElement(token, qname(WSSE, "Username")).text = user
    pw = etree.SubElement(token, qname(WSSE, "Password"), Type=WSSE_PASSWORD_DIGEST)
    pw.text = password_digest(nonce, created, password)
    n = etree.SubElement(token, qname(WSSE, "Nonce"), EncodingType=WSSE_BASE64)
    n.text = base64.b64encode(nonce).decode("ascii")
    etree.SubElement(token, qname(WSU, "Created")).text = created
    return sec


@functools.lru_cache(maxsize=256)
def _token_head(user: str) -> bytes:
    """The header block up to the digest text: fixed for a user name."""
    return (
        f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" xmlns:s="{SOAP_ENV}" '
        's:mustUnderstand="1"><wsse:UsernameToken>'
        f"<wsse:Username>{xml_escape(user)}</wsse:Username>"
        f'<wsse:Password Type="{WSSE_PASSWORD_DIGEST}">'
    ).encode()


_TOKEN_NONCE = f'</wsse:Password><wsse:Nonce EncodingType="{WSSE_BASE64}">'.encode()
_TOKEN_CREATED = b"</wsse:Nonce><wsu:Created>"
_TOKEN_END = b"</wsu:Created></wsse:UsernameToken></wsse:Security>"


def _token_xml(user: str, password: str, created: bytes, nonce: bytes) -> bytes:
    sha = hashlib.sha1(nonce + created + password.encode(), usedforsecurity=False)
    return b"".join(
        (
            _token_head(user),
            binascii.b2a_base64(sha.digest(), newline=False),
            _TOKEN_NONCE,
            binascii.b2a_base64(nonce, newline=False),
            _TOKEN_CREATED,
            created,
            _TOKEN_END,
        )
    )


def username_token_xml(
    user: str, password: str, now: datetime, nonce: bytes | None = None
) -> bytes:
    """The same header block as :func:`username_token`, as bytes from a template.

    Several times cheaper than building the element tree, and equal to it in the XML
    infoset (a test checks this).
    """
    if nonce is None:
        nonce = os.urandom(NONCE_BYTES)
    return _token_xml(user, password, format_created(now).encode(), nonce)


_second: tuple[int, bytes] = (0, b"1970-01-01T00:00:00")
"""The last whole second :func:`created_now` formatted (UTC), and its text."""


def created_now(offset_s: float = 0.0, now_ns: int | None = None) -> bytes:
    """``wsu:Created`` text for our clock plus ``offset_s``, as :func:`format_created`
    writes it; the date and time of day are formatted once per second, not per call.

    ``now_ns`` (nanoseconds since the epoch) replaces our clock, for tests.
    """
    global _second  # a one-entry cache, replaced whole (atomic, so thread-safe)
    ns = (time.time_ns() if now_ns is None else now_ns) + int(offset_s * 1e9)
    sec, rem = divmod(ns, 1_000_000_000)
    cached = _second
    if cached[0] != sec:
        whole = format_created(datetime.fromtimestamp(sec, UTC))
        cached = _second = (sec, whole.rpartition(".")[0].encode())
    return b"%s.%03dZ" % (cached[1], rem // 1_000_000)


def username_token_now(
    user: str, password: str, offset_s: float = 0.0, nonce: bytes | None = None
) -> bytes:
    """:func:`username_token_xml` for the device's current time (our clock plus its
    ``offset_s``): the per-call path of every authenticated request."""
    return _token_xml(
        user, password, created_now(offset_s), os.urandom(NONCE_BYTES) if nonce is None else nonce
    )


def _parse_created(text: str) -> datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)  # xs:dateTime without zone: ONVIF devices mean UTC
    return dt


def _find_security(header: etree._Element | Sequence[etree._Element]) -> etree._Element:
    if isinstance(header, etree._Element):
        if header.tag == _SECURITY:
            return header
        found = header.find(f".//{_SECURITY}")
        if found is not None:
            return found
    else:
        for h in header:
            if h.tag == _SECURITY:
                return h
    raise NotAuthorizedFault("No WS-Security header")


def verify_username_token(
    header: etree._Element | Sequence[etree._Element],
    password_for_user: Callable[[str], str | None],
    now: datetime,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    nonce_cache: NonceCache | None = None,
    *,
    allow_password_text: bool = False,
) -> str:
    """Check a UsernameToken (server side) and return the authenticated user name.

    ``header`` is the ``wsse:Security`` element or the envelope's header blocks. Raises
    :class:`NotAuthorizedFault` on any failure without saying which (no user oracle).
    A nonce seen before within the window is a replay; it is recorded only after the
    digest checks, so unauthenticated requests cannot fill the cache.
    """
    token = _find_security(header).find(_TOKEN)
    if token is None:
        raise NotAuthorizedFault("No UsernameToken")
    user = (token.findtext(qname(WSSE, "Username")) or "").strip()
    pw_el = token.find(qname(WSSE, "Password"))
    if not user or pw_el is None:
        raise NotAuthorizedFault("Incomplete UsernameToken")
    expected = password_for_user(user)
    pw_type = pw_el.get("Type", WSSE_PASSWORD_TEXT)
    given = (pw_el.text or "").strip()
    if pw_type == WSSE_PASSWORD_TEXT:
        if not allow_password_text or expected is None:
            raise NotAuthorizedFault("Sender not Authorized")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotAuthorizedFault("Sender not Authorized")
        return user
    if pw_type != WSSE_PASSWORD_DIGEST:
        raise NotAuthorizedFault("Unsupported password type")
    nonce_text = token.findtext(qname(WSSE, "Nonce"))
    created = token.findtext(qname(WSU, "Created"))
    if nonce_text is None or created is None:
        raise NotAuthorizedFault("PasswordDigest needs Nonce and Created")
    try:
        nonce = base64.b64decode(nonce_text.strip(), validate=True)
        created_at = _parse_created(created)
    except (binascii.Error, ValueError) as exc:
        raise NotAuthorizedFault("Malformed Nonce or Created") from exc
    if not nonce or len(nonce) > MAX_NONCE_BYTES:
        raise NotAuthorizedFault("Bad nonce length")
    if abs((now - created_at).total_seconds()) > tolerance_s:
        raise NotAuthorizedFault("Created time outside the accepted window")
    if expected is None:
        # Still compute a digest so an unknown user costs the same as a wrong password.
        password_digest(nonce, created, "")
        raise NotAuthorizedFault("Sender not Authorized")
    if not hmac.compare_digest(given.encode(), password_digest(nonce, created, expected).encode()):
        raise NotAuthorizedFault("Sender not Authorized")
    if nonce_cache is not None and not nonce_cache.check_and_add(nonce, now.timestamp()):
        raise NotAuthorizedFault("Replayed nonce")
    return user
