"""The HTTP/1.1 response codec: whole, byte by byte, chunked, close-delimited, hostile."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callpoint.codecs.http11 import Response, ResponseParser, build_post
from callpoint.codecs.parser_state import ParserState
from callpoint.onvif.errors import RemoteProtocolError, TransportError
from callpoint.onvif.httpclient import HttpClient
from tests.support.peers import OPENSSL, require_peer

from .rawserver import raw_server, read_body

BODY = b"<s:Envelope>hello</s:Envelope>"
SIMPLE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)
CHUNKED = (
    b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="a", nonce="b"\r\n'
    b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\n<s:En\r\n18\r\nvelope>hello</s:Envelope\r\n"
    b"1\r\n>\r\n0\r\nX-Trailer: 1\r\n\r\n"
)
CLOSE_DELIMITED = b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n" + BODY


def parse(data: bytes, step: int | None = None, eof: bool = False) -> Response:
    p = ResponseParser()
    if step is None:
        p.feed(data)
    else:
        for i in range(0, len(data), step):
            p.feed(data[i : i + step])
    if eof:
        p.eof()
    assert p.response is not None
    return p.response


@pytest.mark.parametrize("step", [None, 1, 2, 7])
def test_content_length_and_chunked_any_split(step: int | None) -> None:
    r = parse(SIMPLE, step)
    assert (r.status, r.body, r.keep_alive) == (200, BODY, True)
    assert r.header("content-type") == "application/soap+xml"
    c = parse(CHUNKED, step)
    assert c.status == 401 and c.body == BODY
    assert c.header_all("WWW-Authenticate") == ['Digest realm="a", nonce="b"']


def test_interim_100_continue_is_skipped() -> None:
    r = parse(b"HTTP/1.1 100 Continue\r\n\r\n" + SIMPLE, step=3)
    assert r.status == 200 and r.body == BODY


def test_close_delimited_body_needs_eof() -> None:
    p = ResponseParser()
    p.feed(CLOSE_DELIMITED)
    assert p.response is None
    p.eof()
    assert p.response is not None and p.response.body == BODY and not p.response.keep_alive


def test_connection_close_and_http10_keep_alive() -> None:
    r = parse(SIMPLE.replace(b"200 OK\r\n", b"200 OK\r\nConnection: close\r\n"))
    assert not r.keep_alive
    r10 = parse(SIMPLE.replace(b"HTTP/1.1", b"HTTP/1.0"))
    assert not r10.keep_alive


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\n",
        b"HTTP/1.1 \xb2\xb2\xb2 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nab\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab",
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 100 + b"\r\n",
        b"HTTP/1.1 200 OK\r\nX: " + b"y" * 20000,
    ],
)
def test_hostile_responses_are_remote_errors(data: bytes) -> None:
    p = ResponseParser()
    with pytest.raises(RemoteProtocolError):
        p.feed(data)
        p.eof()


def test_truncated_response_is_a_remote_error_at_eof() -> None:
    for i in range(len(SIMPLE) - 1):
        p = ResponseParser()
        p.feed(SIMPLE[:i])
        with pytest.raises(RemoteProtocolError):
            p.eof()


def test_request_bytes_and_header_injection() -> None:
    data = build_post("/onvif/device_service", "cam:80", {"Content-Type": "x"}, b"abc")
    assert data.startswith(b"POST /onvif/device_service HTTP/1.1\r\nHost: cam:80\r\n")
    assert data.endswith(b"Content-Length: 3\r\nContent-Type: x\r\n\r\nabc")
    with pytest.raises(ValueError, match="CR/LF"):
        build_post("/", "h", {"X": "a\r\nInjected: 1"}, b"")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 16))
def test_fuzz_parser_only_raises_remote_errors(data: bytes, step: int) -> None:
    p = ResponseParser(max_body=1000)
    try:
        for i in range(0, len(data), step):
            p.feed(data[i : i + step])
        p.eof()
    except RemoteProtocolError:
        return
    assert p.response is not None and len(p.response.body) <= 1000


@pytest.mark.asyncio
async def test_client_reuses_connection_and_survives_server_dropping_it() -> None:
    accepted = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        while True:
            await read_body(reader)
            writer.write(SIMPLE)
            await writer.drain()
            if accepted == 1:
                break  # first connection: answer once, then drop it while idle
        writer.close()

    client = HttpClient()
    async with raw_server(handle) as port:
        try:
            url = f"http://127.0.0.1:{port}/onvif/device_service"
            r1 = await client.post(url, {}, b"x", 5)
            await asyncio.sleep(0.05)  # let the close arrive
            r2 = await client.post(url, {}, b"y", 5)
            r3 = await client.post(url, {}, b"z", 5)
            assert r1.body == r2.body == r3.body == BODY
            assert accepted == 2  # one reconnect after the drop, then reuse
        finally:
            await client.close()


@pytest.mark.asyncio
async def test_client_refuses_bad_urls() -> None:
    client = HttpClient()
    with pytest.raises(TransportError, match="unsupported"):
        await client.post("ftp://x/", {}, b"", 1)


@pytest.mark.asyncio
async def test_client_limits_concurrent_exchanges_per_host() -> None:
    from callpoint.onvif.httpclient import MAX_ACTIVE_PER_HOST

    active = peak = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal active, peak
        try:
            while True:
                await read_body(reader)
                active += 1
                peak = max(peak, active)
                await asyncio.sleep(0.02)
                active -= 1
                writer.write(SIMPLE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    client = HttpClient()
    async with raw_server(handle) as port:
        try:
            url = f"http://127.0.0.1:{port}/x"
            replies = await asyncio.gather(*(client.post(url, {}, b"a", 5) for _ in range(12)))
            assert all(r.body == BODY for r in replies)
            assert 1 < peak <= MAX_ACTIVE_PER_HOST
        finally:
            await client.close()


@pytest.mark.asyncio
async def test_https_with_the_devices_self_signed_certificate(tmp_path: Path) -> None:
    import ssl
    import subprocess

    require_peer(OPENSSL)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await read_body(reader)
            writer.write(SIMPLE)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        writer.close()

    trusting = HttpClient(ssl.create_default_context(cafile=str(cert)))
    strict = HttpClient()
    async with raw_server(handle, ssl=server_ctx) as port:
        url = f"https://127.0.0.1:{port}/onvif/device_service"
        try:
            assert (await trusting.post(url, {}, b"x", 5)).body == BODY
            with pytest.raises(TransportError):
                await strict.post(url, {}, b"x", 5)  # unknown CA: refused, not ignored
        finally:
            await trusting.close()
            await strict.close()


def state_of(parser: ResponseParser) -> ParserState:
    """The parser's state now (a call, so that mypy does not keep an earlier narrowing)."""
    return parser.state


def test_a_failed_parser_stays_failed_and_drops_what_it_had_read() -> None:
    parser = ResponseParser()
    parser.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
    assert state_of(parser) is ParserState.BODY and parser.buffered == 6
    with pytest.raises(RemoteProtocolError) as first:
        parser.feed(b"lo\r\nzz\r\n")  # `zz` is no chunk size
    assert str(first.value) == "bad chunk size b'zz'"
    assert state_of(parser) is ParserState.ERROR and parser.buffered == 0
    earlier = "response parser failed earlier (bad chunk size b'zz'); it takes no more input"
    with pytest.raises(RemoteProtocolError) as again:
        parser.feed(b"0\r\n\r\n")  # even a proper ending is refused now
    assert str(again.value) == earlier
    with pytest.raises(RemoteProtocolError) as at_close:
        parser.eof()
    assert str(at_close.value) == earlier
    assert parser.response is None


def test_a_bad_head_fails_the_parser_before_any_body() -> None:
    parser = ResponseParser()
    with pytest.raises(RemoteProtocolError) as first:
        parser.feed(b"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    assert str(first.value) == "bad status line 'HTTP/2 200 OK'"
    with pytest.raises(RemoteProtocolError) as again:
        parser.feed(SIMPLE)
    assert str(again.value) == (
        "response parser failed earlier (bad status line 'HTTP/2 200 OK'); it takes no more input"
    )


def test_closing_early_fails_the_parser_for_good() -> None:
    parser = ResponseParser()
    parser.feed(SIMPLE[:-3])
    with pytest.raises(RemoteProtocolError) as first:
        parser.eof()
    assert str(first.value) == "connection closed before a complete response"
    assert state_of(parser) is ParserState.ERROR and parser.buffered == 0
    with pytest.raises(RemoteProtocolError) as again:
        parser.feed(SIMPLE[-3:])
    assert str(again.value) == (
        "response parser failed earlier (connection closed before a complete response);"
        " it takes no more input"
    )


def test_states_of_a_response_with_an_interim_100_continue() -> None:
    parser = ResponseParser()
    parser.feed(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert state_of(parser) is ParserState.HEAD
    parser.feed(SIMPLE[:-1])
    assert state_of(parser) is ParserState.BODY
    parser.feed(SIMPLE[-1:])
    assert state_of(parser) is ParserState.DONE and parser.response is not None
    with pytest.raises(RemoteProtocolError) as extra:
        parser.feed(b"x")
    assert str(extra.value) == "data after a complete response"
    assert state_of(parser) is ParserState.ERROR
