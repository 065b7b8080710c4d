"""SOAP 1.2 envelopes and faults: build, parse, round-trip, quirks."""

from __future__ import annotations

import pytest
from lxml import etree

from callpoint.codecs.soap import build_envelope, build_fault, parse_envelope, raise_for_fault
from callpoint.onvif import errors
from callpoint.onvif.errors import (
    ActionNotSupportedFault,
    InvalidArgsFault,
    NoSuchServiceFault,
    NotAuthorizedFault,
    OperationProhibitedFault,
    ReceiverFault,
    RemoteProtocolError,
    ResourceUnknownFault,
    SenderFault,
    SoapFault,
    WellFormedFault,
)
from callpoint.onvif.namespaces import SOAP_ENV, TDS, TER, WSA, qname


def _body() -> etree._Element:
    return etree.Element(qname(TDS, "GetDeviceInformation"), nsmap={"tds": TDS})


def test_envelope_round_trip_keeps_body_and_headers() -> None:
    action = etree.Element(qname(WSA, "Action"), nsmap={"wsa": WSA})
    action.text = "http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation"
    data = build_envelope(_body(), [action])
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    env = parse_envelope(data)
    assert env.body is not None
    assert env.body.tag == qname(TDS, "GetDeviceInformation")
    assert env.action == "http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation"
    assert env.header(WSA, "Action") is not None
    assert env.soap_version == "1.2"
    assert not env.is_fault
    raise_for_fault(env)  # no fault, no exception


def test_envelope_without_headers_has_no_header_element() -> None:
    data = build_envelope(_body())
    assert b"Header" not in data
    assert parse_envelope(data).headers == ()


def test_empty_body_parses_as_none() -> None:
    env = parse_envelope(build_envelope(None))
    assert env.body is None
    assert not env.is_fault


def test_foreign_prefixes_are_resolved_by_namespace() -> None:
    data = (
        b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" '
        b'xmlns:x="http://www.onvif.org/ver10/device/wsdl"><SOAP-ENV:Header/>'
        b"<SOAP-ENV:Body><x:GetScopesResponse/></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    env = parse_envelope(data)
    assert env.body is not None
    assert env.body.tag == qname(TDS, "GetScopesResponse")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<Envelope/>", "not a SOAP envelope"),
        (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>', "no Body"),
        (
            b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
            b"<s:Body/><s:Body/></s:Envelope>",
            "unexpected",
        ),
        (
            b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
            b"<s:Body/><junk/></s:Envelope>",
            "unexpected",
        ),
    ],
)
def test_malformed_envelopes_are_remote_errors(data: bytes, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        parse_envelope(data)


@pytest.mark.parametrize(
    "fault",
    [
        NotAuthorizedFault(),
        ActionNotSupportedFault(),
        NoSuchServiceFault(),
        InvalidArgsFault("ProfileToken unknown"),
        OperationProhibitedFault(),
        WellFormedFault(),
        errors.VersionMismatchFault(),
        errors.MustUnderstandFault(),
    ],
)
def test_fault_round_trip_keeps_class_code_subcodes_reason(fault: SoapFault) -> None:
    env = parse_envelope(build_fault(fault))
    assert env.is_fault
    with pytest.raises(SoapFault) as info:
        raise_for_fault(env)
    got = info.value
    assert type(got) is type(fault)
    assert got.code == fault.code
    assert got.subcodes == fault.subcodes
    assert got.reason == fault.reason
    assert got.http_status == fault.http_status


def test_http_status_follows_the_code() -> None:
    assert NotAuthorizedFault().http_status == 400
    assert InvalidArgsFault().http_status == 400
    assert ActionNotSupportedFault().http_status == 500
    assert errors.VersionMismatchFault().http_status == 500
    assert RemoteProtocolError("x").http_status == 400


def test_fault_with_foreign_subcode_namespace_gets_a_new_prefix() -> None:
    fault = SenderFault("odd", subcodes=["{urn:vendor}Weird", qname(TER, "InvalidArgVal")])
    got = parse_envelope(build_fault(fault))
    with pytest.raises(InvalidArgsFault) as info:
        raise_for_fault(got)
    assert info.value.subcodes == ("{urn:vendor}Weird", qname(TER, "InvalidArgVal"))


def test_nested_subcodes_pick_the_deepest_known_class() -> None:
    data = (
        b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
        b'xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault>'
        b"<env:Code><env:Value>env:Sender</env:Value>"
        b"<env:Subcode><env:Value>ter:InvalidArgVal</env:Value>"
        b"<env:Subcode><env:Value>ter:NoProfile</env:Value></env:Subcode></env:Subcode>"
        b'</env:Code><env:Reason><env:Text xml:lang="de">Kein Profil</env:Text>'
        b'<env:Text xml:lang="en">No such profile</env:Text></env:Reason>'
        b"</env:Fault></env:Body></env:Envelope>"
    )
    with pytest.raises(InvalidArgsFault) as info:
        raise_for_fault(parse_envelope(data))
    assert info.value.subcodes == (qname(TER, "InvalidArgVal"), qname(TER, "NoProfile"))
    assert info.value.reason == "No such profile"
    assert info.value.code == qname(SOAP_ENV, "Sender")


def test_undeclared_ter_prefix_in_subcode_text_is_tolerated() -> None:
    # Quirk seen in the field: the subcode QName uses ter: without declaring it.
    data = (
        b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
        b"<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode>"
        b"<env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code>"
        b"<env:Reason><env:Text>Sender not authorized</env:Text></env:Reason>"
        b"</env:Fault></env:Body></env:Envelope>"
    )
    with pytest.raises(NotAuthorizedFault) as info:
        raise_for_fault(parse_envelope(data))
    assert info.value.subcodes == (qname(TER, "NotAuthorized"),)


def test_soap11_fault_is_parsed() -> None:
    data = (
        b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode>"
        b"<faultstring>Internal error</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body>"
        b"</SOAP-ENV:Envelope>"
    )
    env = parse_envelope(data)
    assert env.soap_version == "1.1"
    with pytest.raises(SoapFault, match="Internal error"):
        raise_for_fault(env)


def test_resource_unknown_detail_maps_to_its_class() -> None:
    data = (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>'
        b"<s:Code><s:Value>s:Receiver</s:Value></s:Code>"
        b"<s:Reason><s:Text>gone</s:Text></s:Reason><s:Detail>"
        b'<wsrf-r:ResourceUnknownFault xmlns:wsrf-r="http://docs.oasis-open.org/wsrf/r-2"/>'
        b"</s:Detail></s:Fault></s:Body></s:Envelope>"
    )
    with pytest.raises(ResourceUnknownFault) as info:
        raise_for_fault(parse_envelope(data))
    assert info.value.detail == "{http://docs.oasis-open.org/wsrf/r-2}ResourceUnknownFault"


def test_unknown_receiver_fault_falls_back_to_code_class() -> None:
    fault = ReceiverFault("busy", subcodes=["{urn:x}Busy"])
    with pytest.raises(ReceiverFault) as info:
        raise_for_fault(parse_envelope(build_fault(fault)))
    assert type(info.value) is ReceiverFault
    assert "Receiver/Busy: busy" in str(info.value)


def test_fault_without_code_is_a_remote_error() -> None:
    data = (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        b"<s:Fault/></s:Body></s:Envelope>"
    )
    with pytest.raises(RemoteProtocolError, match="without Code"):
        raise_for_fault(parse_envelope(data))
