"""RFC 5424 encoding and parsing, against the RFC's own examples (section 6.5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callpoint.codecs.syslog import (
    BOM,
    Facility,
    LocalProtocolError,
    RemoteProtocolError,
    SDElement,
    Severity,
    SyslogMessage,
    encode,
    escape_param_value,
    format_timestamp,
    octet_counted,
    sd_name,
    split_octet_counted,
)
from callpoint.codecs.syslog_parser import parse

# RFC 5424 section 6.5, examples 1, 3 and 4 (BOM written out as the three octets).
EXAMPLE_1 = (
    b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
    + BOM
    + b"'su root' failed for lonvick on /dev/pts/8"
)
EXAMPLE_3 = (
    b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
    b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] '
    + BOM
    + b"An application event log entry..."
)
EXAMPLE_4 = (
    b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
    b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
    b'[examplePriority@32473 class="high"]'
)


def test_rfc_example_1_parses_to_its_fields() -> None:
    m = parse(EXAMPLE_1)
    assert (m.facility, m.severity, m.pri) == (Facility.AUTH, Severity.CRITICAL, 34)
    assert m.timestamp == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert (m.hostname, m.app_name, m.procid, m.msgid) == (
        "mymachine.example.com",
        "su",
        None,
        "ID47",
    )
    assert m.structured_data == ()
    assert m.msg == "'su root' failed for lonvick on /dev/pts/8"


def test_rfc_example_2_with_offset_and_msg_any() -> None:
    data = (
        b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
        b"%% It's time to make the do-nuts."
    )
    m = parse(data)
    assert (m.facility, m.severity) == (Facility.LOCAL4, Severity.NOTICE)
    assert m.timestamp == datetime(2003, 8, 24, 12, 14, 15, 3, tzinfo=UTC)
    assert format_timestamp(m.timestamp) == "2003-08-24T05:14:15.000003-07:00"
    assert (m.procid, m.msgid, m.msg) == ("8710", None, "%% It's time to make the do-nuts.")


def test_rfc_examples_3_and_4_structured_data() -> None:
    m3, m4 = parse(EXAMPLE_3), parse(EXAMPLE_4)
    sd = SDElement(
        "exampleSDID@32473", (("iut", "3"), ("eventSource", "Application"), ("eventID", "1011"))
    )
    assert m3.structured_data == (sd,)
    assert m3.msg == "An application event log entry..."
    assert m4.structured_data == (sd, SDElement("examplePriority@32473", (("class", "high"),)))
    assert m4.msg is None


def test_encoding_reproduces_the_rfc_examples_apart_from_secfrac_width() -> None:
    # We always write six fraction digits; the RFC example has three.
    for example in (EXAMPLE_1, EXAMPLE_3, EXAMPLE_4):
        assert encode(parse(example)) == example.replace(b".003Z", b".003000Z")


def test_param_value_escapes_quote_backslash_and_bracket() -> None:
    assert escape_param_value('a"b\\c]d') == 'a\\"b\\\\c\\]d'
    m = SyslogMessage(
        Facility.LOCAL0,
        Severity.ALERT,
        None,
        None,
        None,
        None,
        None,
        (SDElement("x@32473", (("v", 'say "hi" \\o/ [ok]'),)),),
    )
    data = encode(m)
    assert b'v="say \\"hi\\" \\\\o/ [ok\\]"' in data
    assert parse(data) == m


def test_backslash_before_other_characters_is_kept() -> None:
    m = parse(b'<13>1 - - - - - [x@1 p="C:\\temp\\n"]')
    assert m.structured_data[0].params == (("p", "C:\\temp\\n"),)


def test_sd_names_and_header_fields_are_checked() -> None:
    assert sd_name('a b=c]d"e' + "x" * 40) == "a_b_c_d_e" + "x" * 23
    assert sd_name("") == "_"
    base = SyslogMessage(Facility.USER, Severity.DEBUG, None, "h", "a", "p", "m")
    for bad in (
        SDElement("bad id"),
        SDElement("ok", (("a=b", "v"),)),
        SDElement("x" * 33),
    ):
        with pytest.raises(LocalProtocolError):
            encode(replace(base, structured_data=(bad,)))
    with pytest.raises(LocalProtocolError, match="MSGID"):
        encode(replace(base, msgid="x" * 33))
    with pytest.raises(LocalProtocolError, match="HOSTNAME"):
        encode(replace(base, hostname="h\u00e9"))
    with pytest.raises(LocalProtocolError, match="timezone"):
        format_timestamp(datetime(2026, 1, 1))


def test_timestamp_keeps_minute_offsets_and_normalises_odd_ones() -> None:
    t = datetime(2026, 3, 1, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert format_timestamp(t) == "2026-03-01T12:00:00.000005+05:30"
    odd = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone(timedelta(seconds=30)))
    assert format_timestamp(odd) == "2026-03-01T11:59:30.000000Z"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<192>1 - - - - - -",
        b"<013>1 - - - - - -",
        b"<13>2 - - - - - -",
        b"<13>1 2026-13-01 - - - - -",
        b'<13>1 - - - - - [x@1 a="unterminated]',
        b"<13>1 - - - - - [x@1",
        b"<13>1 - - - - - -junk",
        b"<13>1 - h\xc3\xa9 - - - -",
        b'<13>1 - - - - - [x@1 a="\xff"]',
        b"<13>1 - - - - - - " + BOM + b"\xff",
    ],
)
def test_malformed_input_raises_remote_protocol_error(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        parse(data)


def test_every_truncation_of_a_valid_message_is_rejected_or_a_prefix_message() -> None:
    data = encode(parse(EXAMPLE_4))
    for n in range(len(data)):
        try:
            m = parse(data[:n])
        except RemoteProtocolError:
            continue
        assert encode(m) == data[:n] or m.msg is not None or m.structured_data


NAMES = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters='= ]"'),
    min_size=1,
    max_size=32,
)
FIELD = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=32
    ).filter(lambda s: s != "-"),
)
MESSAGES = st.builds(
    SyslogMessage,
    facility=st.integers(0, 23),
    severity=st.sampled_from(Severity),
    timestamp=st.one_of(
        st.none(),
        st.datetimes(
            min_value=datetime(1970, 1, 2),
            max_value=datetime(9998, 1, 1),
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3, minutes=-30))]),
        ),
    ),
    hostname=FIELD,
    app_name=FIELD,
    procid=FIELD,
    msgid=FIELD,
    structured_data=st.lists(
        st.builds(
            SDElement,
            id=NAMES,
            params=st.lists(st.tuples(NAMES, st.text(max_size=20)), max_size=4).map(tuple),
        ),
        max_size=3,
    ).map(tuple),
    msg=st.one_of(st.none(), st.text(max_size=40)),
)


@settings(max_examples=60)
@given(MESSAGES)
def test_parse_inverts_encode(m: SyslogMessage) -> None:
    assert parse(encode(m)) == m


@given(st.lists(st.binary(min_size=1, max_size=300), max_size=5), st.integers(1, 50))
def test_octet_counting_splits_at_any_chunking(messages: list[bytes], chunk: int) -> None:
    stream = b"".join(octet_counted(m) for m in messages)
    got: list[bytes] = []
    rest = b""
    for i in range(0, len(stream), chunk):
        frames, rest = split_octet_counted(rest + stream[i : i + chunk])
        got.extend(frames)
    assert got == messages
    assert rest == b""


def test_octet_counting_refuses_garbage_lengths() -> None:
    assert octet_counted(b"abc") == b"3 abc"
    for bad in (b"x3 abc", b"03 abc", b"1234567890 x", b"99999999"):
        with pytest.raises(RemoteProtocolError):
            split_octet_counted(bad)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_remote_protocol_error(data: bytes) -> None:
    try:
        m = parse(data)
    except RemoteProtocolError:
        return
    assert 0 <= m.pri <= 191


@given(st.binary(max_size=300))
def test_arbitrary_bytes_deframe_or_raise_remote_protocol_error(data: bytes) -> None:
    try:
        frames, rest = split_octet_counted(data)
    except RemoteProtocolError:
        return
    assert sum(len(f) for f in frames) + len(rest) <= len(data)


@settings(max_examples=40)
@given(MESSAGES, st.binary(max_size=20))
def test_valid_header_then_garbage_never_crashes(m: SyslogMessage, junk: bytes) -> None:
    try:
        parsed = parse(encode(m) + junk)
    except RemoteProtocolError as exc:
        assert str(exc)
    else:
        assert 0 <= parsed.pri <= 191


@settings(max_examples=60)
@given(MESSAGES, st.data())
def test_mutated_messages_parse_or_raise_remote_protocol_error(
    m: SyslogMessage, data: st.DataObject
) -> None:
    raw = bytearray(encode(m))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    try:
        parsed = parse(bytes(raw))
    except RemoteProtocolError as exc:
        assert str(exc)
    else:
        assert 0 <= parsed.pri <= 191
