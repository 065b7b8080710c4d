"""The hardened parser: only RemoteProtocolError escapes, whatever the bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callpoint.onvif.errors import RemoteProtocolError
from callpoint.onvif.xmlsafe import MAX_SOAP_BYTES, parse_xml

GOOD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    b'<s:Body><tds:GetDeviceInformationResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl">'
    b"<tds:Manufacturer>ACME &amp; Sons</tds:Manufacturer>"
    b"</tds:GetDeviceInformationResponse></s:Body></s:Envelope>"
)


def test_parses_a_well_formed_envelope() -> None:
    root = parse_xml(GOOD)
    assert root.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    assert root.findtext(".//{http://www.onvif.org/ver10/device/wsdl}Manufacturer") == (
        "ACME & Sons"
    )


def test_refuses_oversize_input_before_parsing() -> None:
    data = b"<a>" + b"x" * MAX_SOAP_BYTES + b"</a>"
    with pytest.raises(RemoteProtocolError, match="exceeds"):
        parse_xml(data)


def test_max_bytes_is_adjustable() -> None:
    with pytest.raises(RemoteProtocolError):
        parse_xml(GOOD, max_bytes=10)


@pytest.mark.parametrize("data", [b"", b"   \n", b"\x00\x01", b"<a>", b"<a></b>", b"not xml"])
def test_refuses_malformed_input(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_xml(data)


def test_refuses_billion_laughs() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<lolz>&lol2;</lolz>"
    )
    with pytest.raises(RemoteProtocolError, match="DTD"):
        parse_xml(data)


def test_refuses_external_entity() -> None:
    data = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    with pytest.raises(RemoteProtocolError, match="DTD"):
        parse_xml(data)


def test_refuses_doctype_hidden_in_utf16() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'
    data = text.encode("utf-16")
    assert b"<!DOCTYPE" not in data
    with pytest.raises(RemoteProtocolError, match="DTD"):
        parse_xml(data)


def test_undeclared_prefix_is_a_clear_error() -> None:
    with pytest.raises(RemoteProtocolError, match=r"[Nn]amespace prefix tt"):
        parse_xml(b"<a><tt:Preset>1</tt:Preset></a>")


def test_trailing_garbage_is_refused() -> None:
    with pytest.raises(RemoteProtocolError):
        parse_xml(GOOD + b"<extra/>")


def test_every_truncation_of_a_message_is_refused_cleanly() -> None:
    for i in range(len(GOOD)):
        with pytest.raises(RemoteProtocolError):
            parse_xml(GOOD[:i])


def test_deep_nesting_is_refused() -> None:
    data = b"<a>" * 5000 + b"</a>" * 5000
    with pytest.raises(RemoteProtocolError):
        parse_xml(data)


def test_str_input_is_our_misuse() -> None:
    with pytest.raises(TypeError):
        parse_xml("<a/>")  # type: ignore[arg-type]  # deliberately wrong type


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes_only_raise_remote_protocol_error(data: bytes) -> None:
    try:
        root = parse_xml(data)
    except RemoteProtocolError:
        return
    assert isinstance(root.tag, str)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(GOOD) - 1), st.binary(min_size=1, max_size=8))
def test_fuzz_mutated_envelope_only_raises_remote_protocol_error(pos: int, junk: bytes) -> None:
    data = GOOD[:pos] + junk + GOOD[pos + len(junk) :]
    try:
        root = parse_xml(data)
    except RemoteProtocolError:
        return
    assert isinstance(root.tag, str)
