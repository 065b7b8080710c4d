"""RTSP authentication: Basic and Digest (RFC 2617, MD5, qop=auth or none). Pure.

Cameras answer DESCRIBE with 401 and a WWW-Authenticate challenge; the client repeats the
request with an Authorization header computed here.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from callpoint.media.errors import RemoteProtocolError

# Challenges are a few hundred characters; refuse absurd ones before the regex runs.
MAX_CHALLENGE_CHARS = 2048

_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class Challenge:
    """One WWW-Authenticate challenge."""

    scheme: str  # lower case: "basic" or "digest"
    realm: str
    nonce: str = ""
    opaque: str | None = None
    qop: tuple[str, ...] = ()
    algorithm: str = "MD5"


def parse_challenge(value: str) -> Challenge:
    """Parse one WWW-Authenticate value; raises `RemoteProtocolError`."""
    if len(value) > MAX_CHALLENGE_CHARS:
        raise RemoteProtocolError("WWW-Authenticate challenge too long")
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None or match.end() == position:
            raise RemoteProtocolError(f"bad auth parameter in {value[:80]!r}")
        raw = match.group(2)
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[match.group(1).lower()] = raw
        position = match.end()
    kind = scheme.lower()
    if kind not in ("basic", "digest"):
        raise RemoteProtocolError(f"unknown auth scheme {scheme!r}")
    if kind == "digest" and "nonce" not in params:
        raise RemoteProtocolError("Digest challenge without nonce")
    return Challenge(
        scheme=kind,
        realm=params.get("realm", ""),
        nonce=params.get("nonce", ""),
        opaque=params.get("opaque"),
        qop=tuple(q.strip() for q in params.get("qop", "").split(",") if q.strip()),
        algorithm=params.get("algorithm", "MD5"),
    )


def choose_challenge(values: list[str]) -> Challenge:
    """The strongest challenge we can answer among several: Digest MD5 before Basic."""
    parsed: list[Challenge] = []
    for value in values:
        try:
            parsed.append(parse_challenge(value))
        except RemoteProtocolError:
            continue  # one unknown scheme does not spoil the others
    for challenge in parsed:
        if challenge.scheme == "digest" and challenge.algorithm.upper() == "MD5":
            return challenge
    for challenge in parsed:
        if challenge.scheme == "basic":
            return challenge
    raise RemoteProtocolError(f"no usable auth challenge in {values!r}")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def authorization(
    challenge: Challenge,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    cnonce: str,
    nonce_count: int = 1,
) -> str:
    """The Authorization header value answering `challenge` for one request."""
    if challenge.scheme == "basic":
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        return f"Basic {token}"
    ha1 = _md5(f"{username}:{challenge.realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    fields = [
        f"username={_quote(username)}",
        f"realm={_quote(challenge.realm)}",
        f"nonce={_quote(challenge.nonce)}",
        f"uri={_quote(uri)}",
    ]
    if "auth" in challenge.qop:
        nc = f"{nonce_count:08x}"
        response = _md5(f"{ha1}:{challenge.nonce}:{nc}:{cnonce}:auth:{ha2}")
        fields += [f"response={_quote(response)}", "qop=auth", f"nc={nc}"]
        fields.append(f"cnonce={_quote(cnonce)}")
    else:
        fields.append(f"response={_quote(_md5(f'{ha1}:{challenge.nonce}:{ha2}'))}")
    if challenge.opaque is not None:
        fields.append(f"opaque={_quote(challenge.opaque)}")
    fields.append("algorithm=MD5")
    return "Digest " + ", ".join(fields)
