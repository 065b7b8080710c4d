"""Probe matching rules (WS-Discovery 2005/04 section 5.1)."""

from __future__ import annotations

import pytest

from callpoint.codecs.wsdiscovery import messages as m
from callpoint.onvif import discovery as wsd
from callpoint.onvif.discovery.matching import rfc3986_match, scopes_match, types_match

LOCATION = "onvif://www.onvif.org/location/TANKFARM-EAST/POST-03"


@pytest.mark.parametrize(
    ("probe", "service", "expected"),
    [
        ("onvif://www.onvif.org/location", LOCATION, True),
        ("onvif://www.onvif.org/location/TANKFARM-EAST", LOCATION, True),
        ("onvif://www.onvif.org/location/TANKFARM-EAST/", LOCATION, True),
        (LOCATION, LOCATION, True),
        ("ONVIF://WWW.ONVIF.ORG/location", LOCATION, True),  # scheme, authority: any case
        ("onvif://www.onvif.org/Location", LOCATION, False),  # path: exact
        ("onvif://www.onvif.org/loc", LOCATION, False),  # segment-wise, not string prefix
        ("onvif://www.onvif.org/location/TANKFARM", LOCATION, False),
        ("onvif://other.org/location", LOCATION, False),
        ("http://www.onvif.org/location", LOCATION, False),
        ("onvif://www.onvif.org/location/TANKFARM%2DEAST", LOCATION, True),  # unescaped first
        ("onvif://www.onvif.org/location/../location", LOCATION, False),  # dot segments never
        ("onvif://www.onvif.org/location?x=1#f", LOCATION, True),  # query, fragment ignored
        (LOCATION + "/GATE", LOCATION, False),  # longer than the service's scope
    ],
)
def test_rfc3986_rule(probe: str, service: str, expected: bool) -> None:
    assert rfc3986_match(probe, service) is expected


def test_every_probed_scope_must_match_some_service_scope() -> None:
    offered = (LOCATION, "onvif://www.onvif.org/Profile/Streaming")
    assert scopes_match((), offered)
    assert scopes_match(
        ("onvif://www.onvif.org/Profile", "onvif://www.onvif.org/location"), offered
    )
    assert not scopes_match(("onvif://www.onvif.org/Profile/G", LOCATION), offered)


def test_strcmp0_rule_is_exact_and_unknown_rules_match_nothing() -> None:
    offered = (LOCATION,)
    assert scopes_match((LOCATION,), offered, m.MATCH_BY_STRCMP0)
    assert not scopes_match(("onvif://www.onvif.org/location",), offered, m.MATCH_BY_STRCMP0)
    assert not scopes_match((LOCATION,), offered, "http://example.com/my-rule")


def test_types_match_by_qname_not_prefix() -> None:
    offered = (wsd.NETWORK_VIDEO_TRANSMITTER, wsd.DEVICE)
    assert types_match((), offered)
    assert types_match((wsd.DEVICE,), offered)
    assert not types_match(("{urn:other}NetworkVideoTransmitter",), offered)


def test_probe_matches_combines_types_and_scopes() -> None:
    endpoint = wsd.Endpoint("urn:x", (wsd.NETWORK_VIDEO_TRANSMITTER,), (LOCATION,))
    assert wsd.probe_matches(wsd.Probe(), endpoint)
    assert wsd.probe_matches(wsd.Probe(scopes=("onvif://www.onvif.org/location",)), endpoint)
    assert not wsd.probe_matches(wsd.Probe(types=(wsd.DEVICE,)), endpoint)
    assert not wsd.probe_matches(wsd.Probe(scopes=("onvif://www.onvif.org/name",)), endpoint)
