"""Does a Target Service match a Probe? (WS-Discovery 2005/04 section 5.1). Pure."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from callpoint.codecs.wsdiscovery import messages as m


def types_match(wanted: tuple[str, ...], offered: tuple[str, ...]) -> bool:
    """Every probed type is one the service has (QName equality); none asked: any."""
    return set(wanted) <= set(offered)


def _segments(path: str) -> list[str] | None:
    segments = [unquote(s) for s in path.split("/") if s]
    return None if any(s in (".", "..") for s in segments) else segments


def rfc3986_match(probe_scope: str, service_scope: str) -> bool:
    """The default rule: same scheme and authority (case-insensitive), and the probe's
    path a segment-wise prefix of the service's. Query and fragment are ignored."""
    probe, service = urlsplit(probe_scope), urlsplit(service_scope)
    if probe.scheme.lower() != service.scheme.lower():
        return False
    if unquote(probe.netloc).lower() != unquote(service.netloc).lower():
        return False
    probe_path, service_path = _segments(probe.path), _segments(service.path)
    if probe_path is None or service_path is None:
        return False  # dot segments never match (section 5.1)
    return service_path[: len(probe_path)] == probe_path


def scopes_match(
    wanted: tuple[str, ...], offered: tuple[str, ...], match_by: str = m.MATCH_BY_RFC3986
) -> bool:
    """Every probed scope matches one of the service's; an unknown rule matches nothing."""
    if match_by == m.MATCH_BY_RFC3986:
        return all(any(rfc3986_match(w, o) for o in offered) for w in wanted)
    if match_by == m.MATCH_BY_STRCMP0:
        return set(wanted) <= set(offered)
    return False


def probe_matches(probe: m.Probe, endpoint: m.Endpoint) -> bool:
    """Whether `endpoint` must answer `probe`."""
    return types_match(probe.types, endpoint.types) and scopes_match(
        probe.scopes, endpoint.scopes, probe.match_by
    )
