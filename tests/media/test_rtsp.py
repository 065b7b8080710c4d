"""RTSP codec, SDP and Digest: pure tests over recorded responses and spec vectors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callpoint.codecs import rtsp
from callpoint.codecs.parser_state import ParserState
from callpoint.codecs.sdp import Direction, parse_sdp
from callpoint.media import rtsp_auth
from callpoint.media.errors import LocalProtocolError, RemoteProtocolError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rtsp"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_describe_request_carries_the_onvif_backchannel_tag() -> None:
    request = rtsp.describe("rtsp://10.1.2.3/s1", 7)
    assert bytes(request) == (
        b"DESCRIBE rtsp://10.1.2.3/s1 RTSP/1.0\r\n"
        b"CSeq: 7\r\n"
        b"Accept: application/sdp\r\n"
        b"User-Agent: callpoint\r\n"
        b"Require: www.onvif.org/ver20/backchannel\r\n"
        b"\r\n"
    )
    plain = bytes(rtsp.describe("rtsp://10.1.2.3/s1", 8, backchannel=False))
    assert b"Require" not in plain


def test_options_request() -> None:
    assert bytes(rtsp.options("rtsp://h/", 1)).startswith(
        b"OPTIONS rtsp://h/ RTSP/1.0\r\nCSeq: 1\r\n"
    )


def test_request_body_gets_a_content_length() -> None:
    data = bytes(rtsp.Request("SET_PARAMETER", "rtsp://h/", 3, body=b"x: 1\r\n"))
    assert data.endswith(b"Content-Length: 6\r\n\r\nx: 1\r\n")


@pytest.mark.parametrize(
    "request_",
    [
        rtsp.Request("DESCRIBE", "rtsp://h/a\r\nX: 1", 1),
        rtsp.Request("DESCRIBE", "rtsp://h/a b", 1),
        rtsp.Request("DESCRIBE", "", 1),
        rtsp.Request("describe", "rtsp://h/", 1),
        rtsp.Request("DESCRIBE", "rtsp://h/", 1, (("X", "a\nb"),)),
        rtsp.Request("DESCRIBE", "rtsp://h/", 1, (("Bad Name", "v"),)),
    ],
)
def test_requests_that_would_inject_lines_are_refused(request_: rtsp.Request) -> None:
    with pytest.raises(LocalProtocolError):
        bytes(request_)


def test_gstreamer_551_means_no_backchannel() -> None:
    response = rtsp.parse_response(fixture("gstreamer-1.22_rtsp-server_describe_551.rtsp"))
    assert (response.status, response.reason) == (551, "Option not supported")
    assert response.cseq == 2
    assert response.unsupported == (rtsp.BACKCHANNEL_REQUIRE,)
    assert response.header("server") == "GStreamer RTSP server"


def test_gstreamer_sdp_has_h264_video_and_no_backchannel() -> None:
    response = rtsp.parse_response(fixture("gstreamer-1.22_rtsp-server_describe_200.rtsp"))
    assert response.status == 200
    assert response.header("Content-Type") == "application/sdp"
    assert len(response.body) == int(response.header("Content-Length") or -1)
    sdp = parse_sdp(response.body)
    assert sdp.session_name == "Session streamed with GStreamer"
    [video] = sdp.media
    assert (video.media, video.formats, video.encodings) == ("video", ("96",), ("H264/90000",))
    assert video.control == "stream=0"
    assert sdp.backchannel is None


def test_spec_example_backchannel_is_the_sendonly_audio() -> None:
    response = rtsp.parse_response(fixture("onvif-streaming-spec_describe_backchannel.rtsp"))
    sdp = parse_sdp(response.body)
    assert [(m.media, m.direction) for m in sdp.media] == [
        ("video", Direction.RECVONLY),
        ("audio", Direction.RECVONLY),
        ("audio", Direction.SENDONLY),
    ]
    back = sdp.backchannel
    assert back is not None
    assert back.control == "rtsp://192.168.0.1/audioback"
    assert back.encodings == ("PCMU/8000",)


def test_spec_example_551() -> None:
    response = rtsp.parse_response(fixture("onvif-streaming-spec_describe_551.rtsp"))
    assert response.status == rtsp.STATUS_OPTION_NOT_SUPPORTED
    assert rtsp.BACKCHANNEL_REQUIRE in response.unsupported


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.rtsp")))
def test_fed_byte_by_byte_gives_the_same_response(name: str) -> None:
    data = fixture(name)
    parser = rtsp.ResponseParser()
    responses = []
    for index in range(len(data)):
        parser.feed(data[index : index + 1])
        response = parser.next_response()
        if response is not None:
            responses.append(response)
    assert responses == [rtsp.parse_response(data)]
    assert parser.pending == 0


def test_pipelined_responses_come_out_in_order() -> None:
    parser = rtsp.ResponseParser()
    parser.feed(
        fixture("gstreamer-1.22_rtsp-server_describe_551.rtsp")
        + fixture("gstreamer-1.22_rtsp-server_describe_200.rtsp")
    )
    first, second = parser.next_response(), parser.next_response()
    assert first is not None and second is not None
    assert (first.status, second.status) == (551, 200)
    assert parser.next_response() is None


def test_session_level_direction_applies_to_every_medium() -> None:
    sdp = parse_sdp(
        b"v=0\ns=x\na=sendonly\nm=audio 0 RTP/AVP 8\nm=video 0 RTP/AVP 96\na=inactive\n"
    )
    assert [m.direction for m in sdp.media] == [Direction.SENDONLY, Direction.INACTIVE]
    assert sdp.backchannel is not None and sdp.backchannel.formats == ("8",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (fixture("gstreamer-1.22_rtsp-server_describe_551.rtsp") + b"junk", "bytes after"),
        (b"HTTP/1.1 200 OK\r\n\r\n", "not an RTSP/1.0 status line"),
        (b"RTSP/1.0 2x0 OK\r\n\r\n", "bad status code"),
        (b"RTSP/1.0 200 OK\r\nno colon\r\n\r\n", "bad header line"),
        (b"RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"),
        (b"RTSP/1.0 200 OK\r\nContent-Length: 999999\r\n\r\n", "exceeds"),
        (b"RTSP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nab", "incomplete"),
        (b"$\x00\x00\x04abcd", "interleaved"),
        (b"RTSP/1.0 200 OK\r\n" + b"X: y\r\n" * 100 + b"\r\n", "more than 64 headers"),
        (b"RTSP/1.0 200 OK\r\nX: " + b"a" * 20000 + b"\r\n\r\n", "head longer"),
    ],
)
def test_malformed_responses_are_remote_errors(data: bytes, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        rtsp.parse_response(data)


def test_endless_head_is_refused_before_it_ends() -> None:
    parser = rtsp.ResponseParser()
    parser.feed(b"RTSP/1.0 200 OK\r\n" + b"X" * (rtsp.MAX_HEAD_BYTES + 1))
    with pytest.raises(RemoteProtocolError, match="head longer"):
        parser.next_response()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "v=0"),
        (b"v=1\r\n", "v=0"),
        (b"v=0\r\nm=video\r\n", "m= line needs"),
        (b"v=0\r\nm=video x RTP/AVP 96\r\n", "bad port"),
        (b"v=0\r\nnot sdp\r\n", "bad SDP line"),
        (b"v=0\r\n\xff", "not UTF-8"),
        (b"v=0\r\n" + b"m=video 0 RTP/AVP 96\r\n" * 40, "more than 32 media"),
    ],
)
def test_malformed_sdp_is_a_remote_error(body: bytes, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        parse_sdp(body)


@given(st.binary(max_size=600))
def test_garbage_responses_raise_only_remote_errors(data: bytes) -> None:
    parser = rtsp.ResponseParser()
    parser.feed(data)
    try:
        response = parser.next_response()
    except RemoteProtocolError:
        return
    assert response is None or 100 <= response.status <= 999


@given(st.binary(max_size=600))
def test_garbage_sdp_raises_only_remote_errors(data: bytes) -> None:
    try:
        sdp = parse_sdp(b"v=0\r\n" + data)
    except RemoteProtocolError:
        return
    assert all(m.port >= 0 for m in sdp.media)


# RFC 2617 section 3.5: the worked example of a Digest response with qop=auth.
RFC2617_CHALLENGE = (
    'Digest realm="testrealm@host.com", qop="auth,auth-int", '
    'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)


def test_digest_matches_the_rfc_2617_example() -> None:
    challenge = rtsp_auth.parse_challenge(RFC2617_CHALLENGE)
    assert challenge.qop == ("auth", "auth-int")
    value = rtsp_auth.authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle Of Life",
        cnonce="0a4f113b",
        nonce_count=1,
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in value
    assert "nc=00000001" in value and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in value


def test_gstreamer_challenge_without_qop() -> None:
    response = rtsp.parse_response(fixture("gstreamer-1.22_rtsp-server_describe_401.rtsp"))
    challenge = rtsp_auth.choose_challenge(rtsp.header_values(response.headers, "www-authenticate"))
    assert (challenge.scheme, challenge.realm) == ("digest", "GStreamer RTSP Server")
    assert challenge.qop == ()
    value = rtsp_auth.authorization(
        challenge, method="DESCRIBE", uri="rtsp://h/", username="u", password="p", cnonce="c"
    )
    assert value.startswith('Digest username="u", realm="GStreamer RTSP Server"')
    assert "qop" not in value and "cnonce" not in value


def test_digest_is_preferred_over_basic_and_basic_still_works() -> None:
    both = ['Basic realm="cam"', 'Digest realm="cam", nonce="n1"']
    assert rtsp_auth.choose_challenge(both).scheme == "digest"
    basic = rtsp_auth.choose_challenge(['Basic realm="cam"', "Negotiate abc"])
    header = rtsp_auth.authorization(
        basic,
        method="DESCRIBE",
        uri="rtsp://h/",
        username="Aladdin",
        password="open sesame",
        cnonce="x",
    )
    assert header == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="  # RFC 7617 section 2 example


@pytest.mark.parametrize(
    "values",
    [
        [],
        ["Negotiate abc"],
        ['Digest realm="x"'],
        ['Digest realm="x", nonce="n", algorithm=SHA-256'],
    ],
)
def test_no_usable_challenge_is_a_remote_error(values: list[str]) -> None:
    with pytest.raises(RemoteProtocolError):
        rtsp_auth.choose_challenge(values)


def test_quoted_challenge_values_may_hold_commas_and_escapes() -> None:
    challenge = rtsp_auth.parse_challenge(r'Digest realm="a, \"b\"", nonce="n"')
    assert challenge.realm == 'a, "b"'


def test_a_failed_parser_stays_failed_and_drops_what_it_had_read() -> None:
    parser = rtsp.ResponseParser()
    parser.feed(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\nRTSP/1.0 2")
    assert parser.next_response() is not None
    parser.feed(b"00 OK\r\nCSeq: 2\r\nContent-Length: x\r\n\r\n")
    with pytest.raises(RemoteProtocolError) as first:
        parser.next_response()
    assert str(first.value) == "bad Content-Length 'x'"
    assert parser.state is ParserState.ERROR and parser.pending == 0
    earlier = "response parser failed earlier (bad Content-Length 'x'); it takes no more input"
    for attempt in (
        lambda: parser.feed(b"RTSP/1.0 200 OK\r\nCSeq: 3\r\n\r\n"),
        parser.next_response,
    ):
        with pytest.raises(RemoteProtocolError) as again:
            attempt()
        assert str(again.value) == earlier


def test_interleaved_data_fails_the_parser_for_good() -> None:
    parser = rtsp.ResponseParser()
    parser.feed(b"$\x00\x00\x04abcdRTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n")
    with pytest.raises(RemoteProtocolError) as first:
        parser.next_response()
    assert str(first.value) == "interleaved RTP data where a response was expected"
    assert parser.pending == 0
    with pytest.raises(RemoteProtocolError) as again:
        parser.next_response()
    assert str(again.value) == (
        "response parser failed earlier (interleaved RTP data where a response was expected);"
        " it takes no more input"
    )
