"""HTTP transport for SOAP: a shared pooled HTTP client and a small per-device session.

One :class:`SoapHttp` (one keep-alive connection pool) serves every device, so a device
costs only its :class:`DeviceSession`: credentials, the clock offset and the HTTP Digest
state, a few hundred bytes. Authentication: a WS-UsernameToken (created time corrected by
the device's clock offset) on every authenticated call; when the device answers 401 with
a Digest challenge, HTTP Digest is added and kept for later calls (RFC 7616 nonce counts).
"""

from __future__ import annotations

import functools
import logging
import secrets
import ssl
from collections.abc import Coroutine, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from callpoint.codecs.http11 import Response, finish_post, post_head
from callpoint.codecs.soap import (
    Envelope,
    build_envelope,
    build_envelope_bytes,
    parse_envelope,
    raise_for_fault,
)
from callpoint.onvif.errors import (
    NotAuthorizedFault,
    RemoteProtocolError,
    SoapFault,
)
from callpoint.onvif.httpclient import HttpClient, split_url
from callpoint.onvif.httpdigest import DigestChallenge, digest_authorization, parse_challenge
from callpoint.onvif.request import Request
from callpoint.onvif.security import username_token_now

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
"""Whole-call timeout (connect, send, device processing, read), in seconds."""


_ACCEPT = "application/soap+xml, text/xml, */*"


@functools.lru_cache(maxsize=4096)
def _soap_head(url: str, action: str) -> bytes:
    """Request line, Host, Content-Type with the action, Accept: the same for every call
    of one operation to one address, so built once (a device reuses its few URLs)."""
    _, target, host = split_url(url)
    content_type = f'application/soap+xml; charset=utf-8; action="{action}"'
    return post_head(target, host, (("Content-Type", content_type), ("Accept", _ACCEPT)))


def digest_challenge(resp: Response) -> str | None:
    """The first Digest challenge among a reply's WWW-Authenticate headers, if any."""
    return next((c for c in resp.header_all("www-authenticate") if c[:6].lower() == "digest"), None)


class SoapHttp:
    """The HTTP/1.1 client shared by many devices (keep-alive pool, bounded)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._client = HttpClient(ssl_context)

    async def close(self) -> None:
        """Close pooled connections."""
        await self._client.close()

    async def __aenter__(self) -> SoapHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def post(
        self,
        url: str,
        body: bytes,
        action: str,
        authorization: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> Coroutine[Any, Any, Response]:
        """POST one SOAP 1.2 message (the action rides on the content type, RFC 3902);
        the reply body is capped at MAX_SOAP_BYTES by the parser. Await the result.

        A plain function returning the client's coroutine: one coroutine frame less
        per call on the hot path.
        """
        head = _soap_head(url, action)
        if authorization:
            line = f"Authorization: {authorization}"
            if "\r" in line or "\n" in line:
                raise ValueError(f"header line with CR/LF: {line!r}")
            head += line.encode("latin-1") + b"\r\n"
        return self._client.send(url, finish_post(head, body), timeout_s)


class DeviceSession:
    """One device's credentials, clock offset and Digest state over a shared SoapHttp."""

    __slots__ = ("_challenge", "_nc", "clock_offset_s", "http", "password", "timeout_s", "user")

    def __init__(
        self,
        http: SoapHttp,
        user: str | None,
        password: str | None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.http = http
        self.user = user
        self.password = password
        self.timeout_s = timeout_s
        self.clock_offset_s = 0.0
        """Device clock minus ours, in seconds; applied to UsernameToken created times."""
        self._challenge: DigestChallenge | None = None
        self._nc = 0

    @property
    def uses_digest(self) -> bool:
        """True once the device has asked for HTTP Digest."""
        return self._challenge is not None

    def device_now(self) -> datetime:
        """Our clock corrected to the device's."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    def _authorization(self, url: str) -> str | None:
        if self._challenge is None or self.user is None:
            return None
        self._nc += 1
        parts = urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
        return digest_authorization(
            self._challenge,
            "POST",
            uri,
            self.user,
            self.password or "",
            secrets.token_hex(8),
            self._nc,
        )

    async def call(
        self,
        url: str,
        req: Request,
        *,
        authenticate: bool = True,
        headers: Iterable[etree._Element] = (),
        timeout_s: float | None = None,
    ) -> Envelope:
        """Send ``req`` to ``url`` and return the reply envelope; faults are raised typed.

        A 401 with a new (or stale) Digest challenge is answered once, with a fresh
        UsernameToken too; later calls send Digest credentials straight away.
        """
        extra = () if headers == () else tuple(headers)
        timeout = self.timeout_s if timeout_s is None else timeout_s
        reply = await self._post(url, req, extra, authenticate, timeout)
        if reply.status == 401 and authenticate:
            offered = digest_challenge(reply)
            if offered:
                try:
                    challenge = parse_challenge(offered)
                except RemoteProtocolError as exc:
                    raise NotAuthorizedFault(f"HTTP 401 from {url}, and {exc}") from exc
                if self._challenge is None or challenge.stale or challenge != self._challenge:
                    self._challenge, self._nc = challenge, 0
                    log.debug("%s asks for HTTP Digest (%s)", url, challenge.algorithm)
                    reply = await self._post(url, req, extra, authenticate, timeout)
        return self._reply(url, req, reply)

    def _post(
        self,
        url: str,
        req: Request,
        extra: tuple[etree._Element, ...],
        authenticate: bool,
        timeout_s: float,
    ) -> Coroutine[Any, Any, Response]:
        if authenticate and self.user is not None:
            token = username_token_now(self.user, self.password or "", self.clock_offset_s)
            if extra:
                data = build_envelope(req.xml, [*extra, token])
            else:
                data = build_envelope_bytes(req.xml, token)
            auth = self._authorization(url)
        else:
            data = build_envelope(req.xml, extra)
            auth = None
        return self.http.post(url, data, req.action, auth, timeout_s)

    @staticmethod
    def _reply(url: str, req: Request, reply: Response) -> Envelope:
        if reply.status == 401:
            # HTTP 401 means "not authorized" whatever fault code the body carries
            # (ipycam sends env:Receiver without a subcode).
            raise NotAuthorizedFault(f"HTTP 401 from {url}: {_fault_reason(reply.body)}")
        try:
            env = parse_envelope(reply.body)
        except RemoteProtocolError as exc:
            if reply.status != 200:
                raise RemoteProtocolError(
                    f"{req.operation}: HTTP {reply.status} without a SOAP reply"
                ) from exc
            raise RemoteProtocolError(f"{req.operation}: {exc}") from exc
        raise_for_fault(env)
        if reply.status != 200:
            raise RemoteProtocolError(f"{req.operation}: HTTP {reply.status} with a non-fault body")
        return env


def _fault_reason(content: bytes) -> str:
    """The reason text of a fault body, for error messages; "" if there is none."""
    try:
        env = parse_envelope(content)
        raise_for_fault(env)
    except SoapFault as fault:
        return fault.reason
    except RemoteProtocolError:
        return ""
    return ""
