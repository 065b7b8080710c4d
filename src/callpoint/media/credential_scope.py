"""Which URLs may receive a device's credentials. Pure.

A camera names its snapshot (and stream) URIs itself, in its GetSnapshotUri and
GetStreamUri answers. A camera that is compromised, misconfigured or spoofed can name any
host; answering that host's 401 with the camera's user and password hands them over.
So the credentials go only to the host and port of the device's own ONVIF endpoint, or to
a host the site config lists (`snapshot_hosts`); elsewhere a fetch goes without them.
Basic sends the password readable by anyone on the path: over plain http it is answered
only when the config allows it (`allow_basic_over_http`); Digest is answered anywhere the
host is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322}


class CredentialsWithheldError(Exception):
    """The credentials may not go to this URL; the message says why (safe for operators)."""


def host_port(url: str) -> tuple[str, int | None]:
    """Lower-case host and port of a URL (the scheme's default port if none is written).

    ValueError for a URL without host or with a bad port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"URL names no host: {url[:80]}")
    return host, parts.port or DEFAULT_PORTS.get(parts.scheme.lower())


def parse_allowed_host(entry: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]` or `[v6]:port` as written in `snapshot_hosts`.

    No port means any port of that host. ValueError for anything else."""
    text = entry.strip()
    if not text or "/" in text or "@" in text:
        raise ValueError(f"not a host or host:port: {entry!r}")
    if text.count(":") > 1 and not text.startswith("["):
        return text.lower(), None  # a bare IPv6 address
    parts = urlsplit("//" + text)
    if not parts.hostname:
        raise ValueError(f"not a host or host:port: {entry!r}")
    return parts.hostname.lower(), parts.port


@dataclass(frozen=True, slots=True)
class CredentialScope:
    """Where one device's credentials may be sent."""

    origin: tuple[str, int | None]  # the ONVIF endpoint's host and port
    allowed: tuple[tuple[str, int | None], ...] = ()
    allow_basic_over_http: bool = False

    @classmethod
    def for_endpoint(
        cls, onvif_url: str, extra_hosts: Iterable[str] = (), *, allow_basic_over_http: bool = False
    ) -> CredentialScope:
        """The scope of a device reached at `onvif_url`, plus the config's extra hosts."""
        return cls(
            host_port(onvif_url),
            tuple(parse_allowed_host(h) for h in extra_hosts),
            allow_basic_over_http,
        )

    def check_host(self, url: str) -> None:
        """Raise CredentialsWithheldError unless `url` is on the device or an allowed host."""
        try:
            host, port = host_port(url)
        except ValueError as exc:
            raise CredentialsWithheldError(str(exc)) from exc
        if (host, port) == self.origin:
            return
        for allowed_host, allowed_port in self.allowed:
            if host == allowed_host and allowed_port in (None, port):
                return
        raise CredentialsWithheldError(
            f"credentials withheld from {_show(host, port)}: not the camera's ONVIF host "
            f"{_show(*self.origin)} (list it in the camera's onvif.snapshot_hosts to allow it)"
        )

    def check_basic(self, url: str) -> None:
        """Raise CredentialsWithheldError for Basic over plain http unless configured."""
        if urlsplit(url).scheme.lower() == "http" and not self.allow_basic_over_http:
            raise CredentialsWithheldError(
                "camera asks for Basic authentication over plain http: password not sent "
                "(set the camera's onvif.allow_basic_over_http to allow it)"
            )


def _show(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"
