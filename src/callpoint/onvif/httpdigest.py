"""HTTP Digest access authentication (RFC 7616), pure helpers for client and server.

Algorithms MD5 and SHA-256 (and their ``-sess`` variants), ``qop=auth`` and the legacy
RFC 2069 form without qop, which older cameras still send. The server side uses stateless
nonces (a timestamp and an HMAC of it) so a server needs no per-client state; replays
inside the freshness window are refused with an optional :class:`NonceCache`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

from callpoint.onvif.errors import NotAuthorizedFault, RemoteProtocolError
from callpoint.onvif.replay import NonceCache

MAX_AUTH_HEADER_BYTES = 8192
"""Longest WWW-Authenticate / Authorization value parsed, in bytes."""
DEFAULT_NONCE_MAX_AGE_S = 300.0
"""How long a server nonce stays fresh, in seconds; older ones get ``stale=true``."""

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda b: hashlib.md5(b, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda b: hashlib.sha256(b).hexdigest(),
}
# Preference order when a server offers several challenges (strongest first, RFC 7616).
_PREFERENCE = ("SHA-256", "SHA-256-SESS", "MD5", "MD5-SESS")
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_SPACE_RE = re.compile(r"[ \t]*")


class DigestAuthError(NotAuthorizedFault):
    """HTTP Digest refused; answer 401 with a fresh challenge (``stale`` if only expired)."""

    def __init__(self, reason: str, *, stale: bool = False) -> None:
        super().__init__(reason)
        self.stale = stale

    @property
    def http_status(self) -> int:
        """Always 401: the client should retry with the new challenge."""
        return 401


@dataclass(frozen=True, slots=True)
class DigestChallenge:
    """One ``Digest`` challenge from a ``WWW-Authenticate`` header."""

    realm: str
    nonce: str
    qop: tuple[str, ...] = ()
    algorithm: str = "MD5"
    opaque: str | None = None
    stale: bool = False


@dataclass(frozen=True, slots=True)
class DigestCredentials:
    """The parameters of an ``Authorization: Digest`` header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    opaque: str | None = None


def _parse_auth_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """Split a header into (scheme, params) pairs; parameter names lower-cased."""
    if len(value.encode("utf-8", "replace")) > MAX_AUTH_HEADER_BYTES:
        raise RemoteProtocolError("authentication header too long")
    out: list[tuple[str, dict[str, str]]] = []
    pos, end = 0, len(value)
    while pos < end:
        if value[pos] in " \t,":
            pos += 1
            continue
        m = _TOKEN_RE.match(value, pos)
        if m is None:
            raise RemoteProtocolError(f"bad authentication header at {pos}: {value[:64]!r}")
        name, pos = m.group(), m.end()
        pos = _SPACE_RE.match(value, pos).end()  # type: ignore[union-attr]  # always matches
        if pos < end and value[pos] == "=" and out:
            pos = _SPACE_RE.match(value, pos + 1).end()  # type: ignore[union-attr]  # idem
            q = _QUOTED_RE.match(value, pos)
            if q is not None:
                param = re.sub(r"\\(.)", r"\1", q.group(1))
                pos = q.end()
            else:
                t = _TOKEN_RE.match(value, pos)
                if t is None:
                    raise RemoteProtocolError(f"bad parameter value for {name!r}")
                param, pos = t.group(), t.end()
            out[-1][1][name.lower()] = param
        elif pos < end and value[pos] == "=":
            raise RemoteProtocolError("authentication parameter before any scheme")
        else:
            out.append((name, {}))
    return out


def parse_challenges(www_authenticate: str) -> list[DigestChallenge]:
    """Every Digest challenge in a ``WWW-Authenticate`` value (other schemes skipped)."""
    result = []
    for scheme, params in _parse_auth_header(www_authenticate):
        if scheme.lower() != "digest":
            continue
        if "realm" not in params or "nonce" not in params:
            raise RemoteProtocolError("Digest challenge without realm or nonce")
        qop = tuple(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip())
        result.append(
            DigestChallenge(
                realm=params["realm"],
                nonce=params["nonce"],
                qop=qop,
                algorithm=params.get("algorithm", "MD5").upper(),
                opaque=params.get("opaque"),
                stale=params.get("stale", "").lower() == "true",
            )
        )
    return result


def parse_challenge(www_authenticate: str) -> DigestChallenge:
    """The strongest Digest challenge we support; :class:`RemoteProtocolError` if none."""
    usable = [c for c in parse_challenges(www_authenticate) if c.algorithm in _PREFERENCE]
    usable = [c for c in usable if not c.qop or "auth" in c.qop]
    if not usable:
        raise RemoteProtocolError(f"no usable Digest challenge in {www_authenticate[:120]!r}")
    return min(usable, key=lambda c: _PREFERENCE.index(c.algorithm))


def _response(
    algorithm: str,
    user: str,
    realm: str,
    password: str,
    nonce: str,
    method: str,
    uri: str,
    qop: str | None,
    nc: str | None,
    cnonce: str | None,
) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    h = _HASHES.get(base)
    if h is None:
        raise RemoteProtocolError(f"unsupported Digest algorithm {algorithm!r}")
    ha1 = h(f"{user}:{realm}:{password}".encode())
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}".encode())
    ha2 = h(f"{method}:{uri}".encode())
    if qop is None:
        return h(f"{ha1}:{nonce}:{ha2}".encode())
    return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def digest_authorization(
    challenge: DigestChallenge | str,
    method: str,
    uri: str,
    user: str,
    password: str,
    cnonce: str,
    nc: int,
) -> str:
    """The ``Authorization`` header value answering ``challenge`` (client side)."""
    ch = parse_challenge(challenge) if isinstance(challenge, str) else challenge
    qop = "auth" if "auth" in ch.qop else None
    nc_text = f"{nc:08x}" if qop else None
    resp = _response(
        ch.algorithm, user, ch.realm, password, ch.nonce, method, uri, qop, nc_text, cnonce
    )
    parts = [
        f"username={_quote(user)}",
        f"realm={_quote(ch.realm)}",
        f"nonce={_quote(ch.nonce)}",
        f"uri={_quote(uri)}",
        f"algorithm={ch.algorithm}",
        f"response={_quote(resp)}",
    ]
    if qop:
        parts += [f"qop={qop}", f"nc={nc_text}", f"cnonce={_quote(cnonce)}"]
    if ch.opaque is not None:
        parts.append(f"opaque={_quote(ch.opaque)}")
    return "Digest " + ", ".join(parts)


def make_nonce(secret: bytes, now: float) -> str:
    """A stateless server nonce: the issue time in hex and an HMAC of it."""
    stamp = f"{int(now):x}"
    mac = hmac.new(secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{stamp}.{mac}"


def _nonce_age(nonce: str, secret: bytes, now: float) -> float | None:
    stamp, _, mac = nonce.partition(".")
    try:
        issued = int(stamp, 16)
    except ValueError:
        return None
    good = hmac.new(secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
    return now - issued if hmac.compare_digest(mac, good) else None


def make_challenge(
    realm: str,
    nonce: str,
    *,
    algorithm: str = "MD5",
    opaque: str | None = None,
    stale: bool = False,
) -> str:
    """A ``WWW-Authenticate`` value offering Digest with ``qop=auth`` (server side)."""
    parts = [
        f"realm={_quote(realm)}",
        'qop="auth"',
        f"algorithm={algorithm}",
        f"nonce={_quote(nonce)}",
    ]
    if opaque is not None:
        parts.append(f"opaque={_quote(opaque)}")
    if stale:
        parts.append("stale=true")
    return "Digest " + ", ".join(parts)


def parse_authorization(authorization: str) -> DigestCredentials:
    """Parse an ``Authorization: Digest`` value; :class:`RemoteProtocolError` if malformed."""
    schemes = _parse_auth_header(authorization)
    if len(schemes) != 1 or schemes[0][0].lower() != "digest":
        raise RemoteProtocolError("Authorization is not a single Digest credential")
    p = schemes[0][1]
    missing = [k for k in ("username", "realm", "nonce", "uri", "response") if k not in p]
    if missing:
        raise RemoteProtocolError(f"Digest credentials lack {', '.join(missing)}")
    return DigestCredentials(
        username=p["username"],
        realm=p["realm"],
        nonce=p["nonce"],
        uri=p["uri"],
        response=p["response"].lower(),
        algorithm=p.get("algorithm", "MD5").upper(),
        qop=p.get("qop"),
        nc=p.get("nc"),
        cnonce=p.get("cnonce"),
        opaque=p.get("opaque"),
    )


def verify_digest(
    authorization: str,
    method: str,
    password_for_user: Callable[[str], str | None],
    *,
    realm: str,
    secret: bytes,
    now: float,
    max_age_s: float = DEFAULT_NONCE_MAX_AGE_S,
    uri: str | None = None,
    nonce_cache: NonceCache | None = None,
) -> str:
    """Check an ``Authorization: Digest`` header (server side); return the user name.

    Raises :class:`DigestAuthError` (answer 401 and a new challenge; ``stale`` set when
    only the nonce expired, so the client retries without asking its user again).
    """
    try:
        cred = parse_authorization(authorization)
    except RemoteProtocolError as exc:
        raise DigestAuthError(str(exc)) from exc
    if cred.realm != realm or (uri is not None and cred.uri != uri):
        raise DigestAuthError("realm or uri mismatch")
    if cred.qop is not None and (cred.qop != "auth" or not cred.nc or not cred.cnonce):
        raise DigestAuthError("unsupported qop or missing nc/cnonce")
    age = _nonce_age(cred.nonce, secret, now)
    if age is None or age < -1.0:
        raise DigestAuthError("nonce not issued by us")
    password = password_for_user(cred.username)
    try:
        expected = _response(
            cred.algorithm,
            cred.username,
            realm,
            password or "",
            cred.nonce,
            method,
            cred.uri,
            cred.qop,
            cred.nc,
            cred.cnonce,
        )
    except RemoteProtocolError as exc:
        raise DigestAuthError(str(exc)) from exc
    if password is None or not hmac.compare_digest(cred.response, expected):
        raise DigestAuthError("Sender not Authorized")
    if age > max_age_s:
        raise DigestAuthError("nonce expired", stale=True)
    if nonce_cache is not None and not nonce_cache.check_and_add(
        (cred.nonce, cred.nc, cred.cnonce), now
    ):
        raise DigestAuthError("replayed credentials")
    return cred.username
