"""Which URLs may receive a camera's credentials (media/credential_scope.py)."""

from __future__ import annotations

import pytest

from callpoint.media.credential_scope import (
    CredentialScope,
    CredentialsWithheldError,
    parse_allowed_host,
)

ONVIF = "http://10.0.0.5/onvif/device_service"


def test_only_the_onvif_host_and_port_by_default() -> None:
    scope = CredentialScope.for_endpoint(ONVIF)
    scope.check_host("http://10.0.0.5:80/snap.jpg")
    scope.check_host("http://10.0.0.5/snap.jpg")
    others = ("http://10.0.0.6/snap.jpg", "http://10.0.0.5:8080/snap.jpg", "https://10.0.0.5/s")
    for other in others:
        with pytest.raises(CredentialsWithheldError, match=r"^credentials withheld from 10\.0\."):
            scope.check_host(other)


def test_listed_hosts_with_or_without_port() -> None:
    scope = CredentialScope.for_endpoint(ONVIF, ["nvr.local", "10.0.0.9:8080", "[fd00::9]:81"])
    scope.check_host("https://NVR.local:8443/snap")  # no port listed: any port
    scope.check_host("http://10.0.0.9:8080/snap")
    scope.check_host("http://[fd00::9]:81/snap")
    with pytest.raises(CredentialsWithheldError):
        scope.check_host("http://10.0.0.9:8081/snap")
    with pytest.raises(CredentialsWithheldError, match=r"from \[fd00::9\]:80:"):
        scope.check_host("http://[fd00::9]/snap")


def test_basic_only_over_https_unless_allowed() -> None:
    scope = CredentialScope.for_endpoint(ONVIF)
    scope.check_basic("https://10.0.0.5/snap")
    with pytest.raises(CredentialsWithheldError, match="Basic authentication over plain http"):
        scope.check_basic("http://10.0.0.5/snap")
    CredentialScope.for_endpoint(ONVIF, allow_basic_over_http=True).check_basic("http://x/s")


@pytest.mark.parametrize("entry", ["", "a/b", "user@host", "http://x"])
def test_bad_allowed_hosts(entry: str) -> None:
    with pytest.raises(ValueError, match="not a host or host:port"):
        parse_allowed_host(entry)


def test_bare_ipv6_means_any_port() -> None:
    assert parse_allowed_host("fd00::1") == ("fd00::1", None)
    assert parse_allowed_host("cam:8080") == ("cam", 8080)
