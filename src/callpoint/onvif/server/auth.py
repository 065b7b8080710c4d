"""Who is calling: WS-UsernameToken digest first, then HTTP Digest (ONVIF Core, security).

A request with a wsse:Security header is judged by it alone. Without one, HTTP Digest
is checked; a request with no credentials at all gets HTTP 401 and a Digest challenge,
so a client that only speaks HTTP Digest learns what to do.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from callpoint.codecs.soap import Envelope
from callpoint.onvif.httpdigest import DigestAuthError, make_challenge, make_nonce, verify_digest
from callpoint.onvif.namespaces import WSSE
from callpoint.onvif.security import verify_username_token
from callpoint.onvif.server.runtime import DeviceRuntime


class NoCredentialsError(DigestAuthError):
    """The request carried no credentials at all: challenge it, but it is no failure."""


def authenticate(
    runtime: DeviceRuntime,
    envelope: Envelope,
    headers: Mapping[str, str],
    method: str,
    path_qs: str,
) -> str:
    """The authenticated user name; NotAuthorizedFault (400) or DigestAuthError (401)."""
    security = envelope.header(WSSE, "Security")
    if security is not None:
        return verify_username_token(
            security, runtime.password_for, runtime.device.clock(), nonce_cache=runtime.ws_nonces
        )
    authorization = headers.get("Authorization", "")
    if authorization[:7].lower() == "digest ":
        return verify_digest(
            authorization,
            method,
            runtime.password_for,
            realm=runtime.realm,
            secret=runtime.digest_secret,
            now=time.time(),
            uri=path_qs,
            nonce_cache=runtime.digest_nonces,
        )
    raise NoCredentialsError("no credentials")


def has_credentials(envelope: Envelope, headers: Mapping[str, str]) -> bool:
    """Does the request try a password (what the brute-force throttle holds back)?"""
    if envelope.header(WSSE, "Security") is not None:
        return True
    return headers.get("Authorization", "")[:7].lower() == "digest "


def challenge(runtime: DeviceRuntime, *, stale: bool = False) -> str:
    """A fresh WWW-Authenticate value for this device."""
    nonce = make_nonce(runtime.digest_secret, time.time())
    return make_challenge(runtime.realm, nonce, stale=stale)
