"""The asyncio RTSP client against real servers on loopback: GStreamer and a scripted peer."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from callpoint.codecs.sdp import Direction
from callpoint.media import rtsp_client
from callpoint.media.errors import LocalProtocolError, RemoteProtocolError
from callpoint.media.streamcheck import check_stream_async
from callpoint.sim.media import MediaServer
from tests.support.peers import GSTREAMER, needs

needs_gstreamer = needs(GSTREAMER)
FIXTURES = Path(__file__).parent.parent / "fixtures" / "rtsp"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Start = Callable[[Handler], Awaitable[int]]


async def read_request(reader: asyncio.StreamReader) -> dict[str, str]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    lines = head.split("\r\n")
    headers = {"_line": lines[0]}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers


@pytest_asyncio.fixture
async def scripted() -> AsyncIterator[Start]:
    """Start a loopback TCP server with a given handler; returns its port."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@pytest.mark.asyncio
async def test_digest_protected_camera_with_backchannel(scripted: Start) -> None:
    # A camera in the style of the ONVIF Streaming Spec example, behind Digest qop=auth.
    seen: list[dict[str, str]] = []
    answer = (FIXTURES / "onvif-streaming-spec_describe_backchannel.rtsp").read_bytes()

    async def camera(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            request = await read_request(reader)
            seen.append(request)
            cseq = request["cseq"]
            auth = request.get("authorization", "")
            if not auth:
                writer.write(
                    f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\n"
                    'WWW-Authenticate: Basic realm="cam"\r\n'
                    'WWW-Authenticate: Digest realm="cam", nonce="abc123", qop="auth"\r\n'
                    "\r\n".encode()
                )
                continue
            fields = dict(re.findall(r'(\w+)="?([^",]*)"?', auth))
            ha1 = md5("admin:cam:p@ss")
            ha2 = md5(f"DESCRIBE:{fields['uri']}")
            expected = md5(f"{ha1}:abc123:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
            if fields["response"] == expected:
                writer.write(answer.replace(b"CSeq: 1", f"CSeq: {cseq}".encode()))
            else:
                writer.write(f"RTSP/1.0 403 Forbidden\r\nCSeq: {cseq}\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    port = await scripted(camera)
    result = await rtsp_client.describe(f"rtsp://admin:p%40ss@127.0.0.1:{port}/live")
    assert result.status == 200
    assert result.url == f"rtsp://admin:***@127.0.0.1:{port}/live"
    assert result.backchannel is not None
    assert result.backchannel.control == "rtsp://192.168.0.1/audioback"
    assert seen[0]["require"] == "www.onvif.org/ver20/backchannel"
    assert seen[1]["require"] == "www.onvif.org/ver20/backchannel"  # on every request
    assert seen[0]["_line"] == f"DESCRIBE rtsp://127.0.0.1:{port}/live RTSP/1.0"  # no userinfo
    assert int(seen[1]["cseq"]) > int(seen[0]["cseq"])


@pytest.mark.asyncio
async def test_server_that_hangs_up_is_a_remote_error(scripted: Start) -> None:
    async def rude(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.close()

    port = await scripted(rude)
    with pytest.raises(RemoteProtocolError, match="closed the connection"):
        await rtsp_client.describe(f"rtsp://127.0.0.1:{port}/")


@pytest.mark.asyncio
async def test_silent_server_times_out(scripted: Start) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers
        writer.close()

    port = await scripted(silent)
    with pytest.raises(TimeoutError):
        await rtsp_client.describe(f"rtsp://127.0.0.1:{port}/", timeout_s=0.3)


@pytest.mark.asyncio
async def test_http_server_is_not_rtsp(scripted: Start) -> None:
    async def web(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    port = await scripted(web)
    with pytest.raises(RemoteProtocolError, match=r"not an RTSP/1\.0 status line"):
        await rtsp_client.describe(f"rtsp://127.0.0.1:{port}/")


@pytest.mark.parametrize("url", ["http://h/", "rtsp:///x", "rtsp://h:99999/"])
def test_bad_urls_are_our_mistake(url: str) -> None:
    with pytest.raises(LocalProtocolError):
        rtsp_client.parse_rtsp_url(url)


def test_url_parsing_strips_credentials_and_keeps_ipv6() -> None:
    target = rtsp_client.parse_rtsp_url("rtsp://u%3Ax:p%20w@[fe80::2]:8554/a?b=1")
    assert (target.host, target.port) == ("fe80::2", 8554)
    assert target.uri == "rtsp://[fe80::2]:8554/a?b=1"
    assert (target.username, target.password) == ("u:x", "p w")
    assert rtsp_client.parse_rtsp_url("rtsp://cam/").port == 554


@pytest.mark.asyncio
@needs_gstreamer
async def test_gstreamer_has_no_backchannel_but_describes_its_video(media: MediaServer) -> None:
    urls = await media.add_camera("gate", "Gate")
    with_tag = await rtsp_client.describe(urls.rtsp)
    assert with_tag.status == 551
    assert with_tag.unsupported == ("www.onvif.org/ver20/backchannel",)
    assert with_tag.backchannel is None
    plain = await rtsp_client.describe(urls.rtsp, backchannel=False)
    assert plain.status == 200 and plain.sdp is not None
    [video] = plain.sdp.media
    assert (video.media, video.encodings, video.direction) == (
        "video",
        ("H264/90000",),
        Direction.SENDRECV,
    )
    assert plain.backchannel is None
    response = await rtsp_client.options(urls.rtsp)
    assert "DESCRIBE" in (response.header("Public") or "")


@pytest.mark.asyncio
@needs_gstreamer
async def test_gstreamer_digest_auth() -> None:
    async with MediaServer(username="admin", password="s3cret") as media:
        urls = await media.add_camera("door", "Door")
        authed = urls.rtsp.replace("rtsp://", "rtsp://admin:s3cret@")
        ok = await rtsp_client.describe(authed, backchannel=False)
        assert ok.status == 200 and ok.sdp is not None
        anonymous = await rtsp_client.describe(urls.rtsp, backchannel=False)
        assert anonymous.status == 401
        wrong = await rtsp_client.describe(
            urls.rtsp.replace("rtsp://", "rtsp://admin:nope@"), backchannel=False
        )
        assert wrong.status == 401
        decoded = await check_stream_async(authed, duration_s=0.5)  # PyAV does Digest too
        assert decoded.frames_decoded > 0 and decoded.url.startswith("rtsp://admin:***@")


@pytest.mark.asyncio
async def test_backchannel_check_reports_an_offered_backchannel(scripted: Start) -> None:
    answer = (FIXTURES / "onvif-streaming-spec_describe_backchannel.rtsp").read_bytes()

    async def camera(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        assert request["require"] == "www.onvif.org/ver20/backchannel"
        writer.write(answer.replace(b"CSeq: 1", f"CSeq: {request['cseq']}".encode()))
        await writer.drain()

    port = await scripted(camera)
    check = await rtsp_client.check_backchannel(f"rtsp://127.0.0.1:{port}/")
    assert check.supported
    assert check.detail == "audio backchannel offered (PCMU/8000)"
    assert check.backchannel is not None and check.backchannel.control.endswith("/audioback")


@pytest.mark.asyncio
@needs_gstreamer
async def test_backchannel_check_on_gstreamer_falls_back_to_plain_describe(
    media: MediaServer,
) -> None:
    urls = await media.add_camera("gate", "Gate")
    check = await rtsp_client.check_backchannel(urls.rtsp)
    assert not check.supported
    assert "551" in check.detail
    assert check.media is not None and [m.media for m in check.media.media] == ["video"]


@pytest.mark.asyncio
@needs_gstreamer
async def test_backchannel_check_with_wrong_credentials() -> None:
    async with MediaServer(username="admin", password="right") as media:
        urls = await media.add_camera("door", "Door")
        wrong = urls.rtsp.replace("rtsp://", "rtsp://admin:wrong@")
        check = await rtsp_client.check_backchannel(wrong)
    # GStreamer checks the Require tag before credentials, so this is still a 551; the
    # plain DESCRIBE that follows is refused.
    assert not check.supported and check.media is None
    assert "plain DESCRIBE answered 401" in check.detail


@pytest.mark.asyncio
async def test_digest_retry_reconnects_when_the_camera_hangs_up_after_401(scripted: Start) -> None:
    connections = 0
    answer = (FIXTURES / "gstreamer-1.22_rtsp-server_describe_200.rtsp").read_bytes()

    async def camera(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        request = await read_request(reader)
        cseq = request["cseq"]
        if "authorization" not in request:
            writer.write(
                f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nConnection: close\r\n"
                'WWW-Authenticate: Digest realm="cam", nonce="n0"\r\n\r\n'.encode()
            )
        else:
            writer.write(answer.replace(b"CSeq: 3", f"CSeq: {cseq}".encode()))
        await writer.drain()
        writer.close()

    port = await scripted(camera)
    result = await rtsp_client.describe(f"rtsp://u:p@127.0.0.1:{port}/s", backchannel=False)
    assert result.status == 200 and result.sdp is not None
    assert connections == 2
