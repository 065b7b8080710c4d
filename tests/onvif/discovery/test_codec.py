"""WS-Discovery codec: recorded traffic, round trips, malformed and hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callpoint.codecs.wsdiscovery import messages as m
from callpoint.onvif import discovery as wsd
from callpoint.onvif.errors import LocalProtocolError, RemoteProtocolError
from callpoint.onvif.namespaces import DN, TDS, qname

FIXTURES = Path(__file__).parents[2] / "fixtures" / "wsdiscovery"
NVT = wsd.NETWORK_VIDEO_TRANSMITTER


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_odm_probe() -> None:
    probe = wsd.decode(fixture("odm_probe.xml"))
    assert probe == wsd.Probe(
        types=(NVT,), scopes=(), message_id="urn:uuid:57f2b0be-1787-49f8-ab8b-4567327b23c6"
    )


def test_ipycam_hello_without_app_sequence() -> None:
    hello = wsd.decode(fixture("ipycam-1.3.0_hello.xml"))
    assert isinstance(hello, wsd.Hello)
    assert hello.app_sequence is None
    assert hello.endpoint.address == "urn:uuid:db77fbf8-57cc-43a9-9d78-86f402dfdad1"
    assert hello.endpoint.types == (NVT, wsd.DEVICE)
    assert hello.endpoint.xaddrs == ("http://10.231.207.2:8080/onvif/device_service",)
    info = wsd.ScopeInfo.from_scopes(hello.endpoint.scopes)
    assert (info.name, info.profiles, info.types) == (
        "ipycam-gate",
        frozenset("S"),
        ("video_encoder",),
    )


def test_ipycam_bye() -> None:
    bye = wsd.decode(fixture("ipycam-1.3.0_bye.xml"))
    assert isinstance(bye, wsd.Bye)
    assert bye.endpoint.address == "urn:uuid:db77fbf8-57cc-43a9-9d78-86f402dfdad1"


def test_ipycam_bare_probematch_is_read_as_probematches() -> None:
    reply = wsd.decode(fixture("ipycam-1.3.0_probematch.xml"))
    assert isinstance(reply, wsd.ProbeMatches)
    probe = wsd.decode(fixture("callpoint_probe.xml"))
    assert reply.relates_to == probe.message_id
    [match] = reply.matches
    assert match.xaddrs == ("http://10.231.207.2:8080/onvif/device_service",)


def test_amcrest_probematches() -> None:
    reply = wsd.decode(fixture("amcrest_ip2m-841b_probematches.xml"))
    assert isinstance(reply, wsd.ProbeMatches)
    [match] = reply.matches
    assert match.address == "uuid:8eceb0ca-564e-4436-bec5-e63ea243c529"
    assert match.types == (NVT, wsd.DEVICE)
    info = wsd.ScopeInfo.from_scopes(match.scopes)
    assert (info.name, info.hardware, info.locations) == (
        "Amcrest",
        "IP2M-841B",
        ("country/china",),
    )
    assert info.profiles == {"S"}


def test_generic_ipcam_with_odd_type_and_scope_case() -> None:
    reply = wsd.decode(fixture("ipcam-631ga_probematches.xml"))
    assert isinstance(reply, wsd.ProbeMatches)
    [match] = reply.matches
    assert match.types == (qname(DN, "4655721b-4e0e-4296-ba0b-3180423b5b0c"),)
    assert wsd.ScopeInfo.from_scopes(match.scopes).name == "IPCAM"
    assert match.xaddrs == ("http://192.168.1.1:80/onvif/device_service",)
    assert not wsd.probe_matches(wsd.Probe(), match)  # it does not claim to be an NVT


ENDPOINT = wsd.Endpoint(
    "urn:uuid:6c3f6e2a-0000-4000-8000-00000000c0de",
    (NVT, wsd.DEVICE, "{urn:example:vendor}Intercom"),
    ("onvif://www.onvif.org/name/Main%20gate", "onvif://www.onvif.org/location/TANKFARM-EAST"),
    ("http://10.0.0.7/onvif/device_service", "http://[fd00::7]/onvif/device_service"),
    7,
)
SEQUENCE = wsd.AppSequence(1_700_000_000, 3, "urn:uuid:seq")


@pytest.mark.parametrize(
    "message",
    [
        wsd.Probe(),
        wsd.Probe(types=(), scopes=("onvif://www.onvif.org/location/A",)),
        wsd.Probe(scopes=("onvif://x/y",), match_by=m.MATCH_BY_STRCMP0),
        wsd.ProbeMatches("urn:uuid:p", (ENDPOINT,), SEQUENCE),
        wsd.ProbeMatches("urn:uuid:p", (), None),
        wsd.Hello(ENDPOINT, SEQUENCE),
        wsd.Bye(wsd.Endpoint(ENDPOINT.address), SEQUENCE),
        wsd.Resolve(ENDPOINT.address),
        wsd.ResolveMatches("urn:uuid:r", ENDPOINT, SEQUENCE),
        wsd.ResolveMatches("urn:uuid:r", None, SEQUENCE),
    ],
)
def test_round_trip(message: wsd.Message) -> None:
    assert wsd.decode(wsd.encode(message)) == message


def test_encoded_probe_looks_like_what_cameras_expect() -> None:
    data = wsd.encode(wsd.Probe(message_id="urn:uuid:1"))
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope')
    assert b'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"' in data
    assert b"<d:Types>dn:NetworkVideoTransmitter</d:Types>" in data
    assert b">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>" in data
    assert b"MatchBy" not in data  # the default rule is left implicit


def test_unknown_type_namespace_gets_its_own_prefix() -> None:
    data = wsd.encode(
        wsd.Hello(wsd.Endpoint("urn:x", ("{urn:a}One", "{urn:b}Two", "{urn:a}Three")))
    )
    assert b'xmlns:t0="urn:a"' in data and b'xmlns:t1="urn:b"' in data
    assert b">t0:One t1:Two t0:Three</d:Types>" in data


@pytest.mark.parametrize(
    "message",
    [
        wsd.Probe(types=("NetworkVideoTransmitter",)),
        wsd.Probe(scopes=("onvif://www.onvif.org/name/two words",)),
        wsd.Hello(wsd.Endpoint("urn:x", xaddrs=("",))),
        wsd.Hello(wsd.Endpoint("urn:x", scopes=("a" * 70_000,))),
    ],
)
def test_messages_that_cannot_be_sent_are_our_error(message: wsd.Message) -> None:
    with pytest.raises(LocalProtocolError):
        wsd.encode(message)


def _probe_with(header: str = "", body: str = "<d:Probe/>") -> bytes:
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
        ' xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">'
        f"<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


ID = "<a:MessageID>urn:uuid:1</a:MessageID>"


def test_undeclared_conventional_prefix_is_tolerated() -> None:
    probe = wsd.decode(
        _probe_with(
            ID, "<d:Probe><d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types></d:Probe>"
        )
    )
    assert isinstance(probe, wsd.Probe)
    assert probe.types == (NVT, qname(TDS, "Device"))


def test_ws_discovery_1_1_namespace_is_read_too() -> None:
    data = _probe_with(
        ID, '<p:Probe xmlns:p="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"/>'
    )
    assert wsd.decode(data) == wsd.Probe(types=(), message_id="urn:uuid:1")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_probe_with(), "without MessageID"),
        (_probe_with(ID, "<x:Probe xmlns:x='urn:other'/>"), "not a WS-Discovery message"),
        (_probe_with(ID, "<d:Probe><d:Types>zz:Thing</d:Types></d:Probe>"), "undeclared prefix"),
        (_probe_with(ID, "<d:Dance/>"), "unknown WS-Discovery message"),
        (_probe_with(ID, "<d:Hello><d:Types>dn:X</d:Types></d:Hello>"), "no EndpointReference"),
        (
            _probe_with(
                ID,
                "<d:Hello><a:EndpointReference><a:Address>u</a:Address></a:EndpointReference>"
                "<d:MetadataVersion>one</d:MetadataVersion></d:Hello>",
            ),
            "MetadataVersion",
        ),
        (
            _probe_with(ID + '<d:AppSequence InstanceId="x" MessageNumber="1"/>', "<d:Bye/>"),
            "AppSequence",
        ),
        (
            _probe_with(ID, "<d:Probe><d:Scopes>" + "s " * 65 + "</d:Scopes></d:Probe>"),
            "more than 64",
        ),
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'boom'>]><x>&e;</x>", "DTD"),
        (b"not xml at all", "malformed XML"),
        (b"x" * 70_000, "too large"),
    ],
)
def test_malformed_datagrams_are_remote_errors(data: bytes, reason: str) -> None:
    with pytest.raises(RemoteProtocolError, match=reason):
        wsd.decode(data)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")))
def test_every_truncation_of_a_fixture_fails_cleanly(name: str) -> None:
    data = fixture(name).rstrip()
    assert wsd.decode(data).message_id
    for end in range(0, len(data) - 1, 7):  # cut before the root element closes
        with pytest.raises(RemoteProtocolError):
            wsd.decode(data[:end])


@given(st.binary(max_size=400))
def test_garbage_raises_only_remote_errors(data: bytes) -> None:
    try:
        message = wsd.decode(data)
    except RemoteProtocolError:
        return
    assert message.message_id


uris = st.from_regex(r"[a-z]{2,6}://[a-z.]{1,12}(/[A-Za-z0-9%_-]{1,8}){0,3}", fullmatch=True)


@given(
    st.builds(
        wsd.Endpoint,
        address=st.from_regex(r"urn:uuid:[0-9a-f-]{8,36}", fullmatch=True),
        types=st.lists(st.sampled_from([NVT, wsd.DEVICE, "{urn:v}T"]), unique=True).map(tuple),
        scopes=st.lists(uris, max_size=5).map(tuple),
        xaddrs=st.lists(uris, max_size=3).map(tuple),
        metadata_version=st.integers(0, 2**31),
    )
)
def test_any_endpoint_round_trips_in_a_hello(endpoint: wsd.Endpoint) -> None:
    hello = wsd.Hello(endpoint, wsd.AppSequence(1, 1))
    assert wsd.decode(wsd.encode(hello)) == hello
