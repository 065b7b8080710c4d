"""The device front's head reader: the one shape it serves, and everything it hands over."""

from __future__ import annotations

import pytest

from callpoint.codecs.http_head import (
    HAND_OVER,
    INCOMPLETE,
    MAX_HEAD_BYTES,
    EventHead,
    read_event_head,
    reply_bytes,
)

LINE = b"POST /api/v1/events HTTP/1.1\r\n"
BODY = b'{"device":"EXPH-03","type":"sos","time":"2026-11-21T10:00:00Z"}'


def request(*headers: bytes, body: bytes = BODY) -> bytes:
    return LINE + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


def plain(*extra: bytes, body: bytes = BODY) -> bytes:
    return request(
        b"Host: 127.0.0.1",
        b"Content-Type: application/json",
        b"Content-Length: " + str(len(body)).encode(),
        *extra,
        body=body,
    )


def test_a_plain_event_post_is_read_with_lower_case_names_and_its_body_located() -> None:
    data = plain(b"Webhook-Id: msg_1", b"webhook-signature:  v1,abc= \t")
    head = read_event_head(data, 4096)
    assert isinstance(head, EventHead)
    assert head.headers["webhook-id"] == "msg_1"
    assert head.headers["webhook-signature"] == "v1,abc="  # surrounding blanks trimmed
    assert head.headers["content-type"] == "application/json"
    assert data[head.body_start : head.end] == BODY
    assert head.end == len(data)
    assert head.close is False


def test_a_body_not_yet_arrived_still_reads_the_head() -> None:
    data = plain()[: -len(BODY) + 5]
    head = read_event_head(data, 4096)
    assert isinstance(head, EventHead)
    assert head.end > len(data)


@pytest.mark.parametrize("cut", [1, 10, len(LINE) - 1, len(LINE), len(LINE) + 20])
def test_a_head_cut_short_waits_for_more(cut: int) -> None:
    assert read_event_head(plain()[:cut], 4096) is INCOMPLETE


def test_http10_is_served_and_closes_after_its_reply() -> None:
    head = read_event_head(plain().replace(b"HTTP/1.1", b"HTTP/1.0"), 4096)
    assert isinstance(head, EventHead) and head.close is True
    assert head.content_length == len(BODY)


def test_http10_without_a_length_reads_until_the_sender_closes() -> None:
    data = request(b"Content-Type: application/json").replace(b"HTTP/1.1", b"HTTP/1.0")
    head = read_event_head(data, 4096)
    assert isinstance(head, EventHead) and head.content_length is None and head.close


def test_connection_close_is_noted() -> None:
    head = read_event_head(plain(b"Connection: Close"), 4096)
    assert isinstance(head, EventHead) and head.close is True


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", id="another method and path"),
        pytest.param(plain().replace(b"/api/v1/events", b"/api/v1/events?x=1"), id="query"),
        pytest.param(b"\r\n" + plain(), id="leading empty line"),
        pytest.param(plain(b"Transfer-Encoding: chunked"), id="chunked"),
        pytest.param(plain(b"Expect: 100-continue"), id="expect"),
        pytest.param(plain(b"Upgrade: websocket", b"Connection: Upgrade"), id="upgrade"),
        pytest.param(plain(b"Cookie: cp_session=abc"), id="cookie"),
        pytest.param(plain(b"Connection: keep-alive, Upgrade"), id="connection options"),
        pytest.param(plain(b"Content-Length: 5"), id="content-length twice"),
        pytest.param(plain(b"X-A: 1", b"x-a: 2"), id="any header twice"),
        pytest.param(request(b"Content-Type: application/json"), id="no content-length"),
        pytest.param(request(b"Content-Length: +64"), id="signed length"),
        pytest.param(request(b"Content-Length: 6\xd9\xa4"), id="non-ascii digit"),
        pytest.param(request(b"Content-Length: 1234567890"), id="length too long"),
        pytest.param(request(b"Content-Length : 64"), id="space before colon"),
        pytest.param(request(b"Content-Length: 64", b" folded"), id="obs-fold"),
        pytest.param(request(b"Content-Length: 64", b"X-A: a\x00b"), id="NUL in value"),
        pytest.param(request(b"Content-Length: 64", b"X-A: a\rb"), id="bare CR"),
        pytest.param(request(b"Content-Length: 64", b"X-\x80: 1"), id="non-token name"),
        pytest.param(LINE + b"Content-Length: 64\nX-A: 1\r\n\r\n" + BODY, id="bare LF line ending"),
        pytest.param(
            request(b"Content-Length: 64", *[f"X-{i}: 1".encode() for i in range(60)]),
            id="too many headers",
        ),
        pytest.param(
            request(b"Content-Length: 64", b"X-Big: " + b"a" * MAX_HEAD_BYTES), id="head too big"
        ),
        pytest.param(LINE + b"X-Big: " + b"a" * MAX_HEAD_BYTES, id="endless head"),
    ],
)
def test_anything_but_the_plain_shape_is_handed_over(data: bytes) -> None:
    assert read_event_head(data, 1_000_000) is HAND_OVER


def test_a_body_over_the_limit_is_handed_over_for_the_full_server_to_refuse() -> None:
    assert isinstance(read_event_head(plain(), len(BODY)), EventHead)
    assert read_event_head(plain(), len(BODY) - 1) is HAND_OVER


def test_reply_has_length_date_and_closes_only_when_asked() -> None:
    date = b"Sat, 21 Nov 2026 10:00:00 GMT"
    kept = reply_bytes(202, b'{"a":1}', date, close=False)
    assert kept == (
        b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
        b'Date: Sat, 21 Nov 2026 10:00:00 GMT\r\n\r\n{"a":1}'
    )
    closed = reply_bytes(422, b"{}", date, close=True)
    assert closed.startswith(b"HTTP/1.1 422 Unprocessable Entity\r\n")
    assert b"\r\nConnection: close\r\n\r\n{}" in closed
    assert reply_bytes(599, b"", date, close=False).startswith(b"HTTP/1.1 599 Unknown\r\n")
