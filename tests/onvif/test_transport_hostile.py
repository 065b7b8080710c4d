"""The whole client path against a device that answers garbage: typed errors only."""

from __future__ import annotations

import asyncio
import random

import pytest

from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.errors import OnvifError, RemoteProtocolError, TransportError
from callpoint.onvif.transport import SoapHttp

from .rawserver import raw_server

pytestmark = pytest.mark.asyncio

ENVELOPE = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
    b'<x:GetDeviceInformationResponse xmlns:x="http://www.onvif.org/ver10/device/wsdl"/>'
    b"</s:Body></s:Envelope>"
)


def http(status: bytes, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 "
        + status
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n"
        + extra
        + b"\r\n"
        + body
    )


def _random_blobs() -> list[bytes]:
    rnd = random.Random(20261121)
    return [bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300))) for _ in range(6)]


HOSTILE = [
    b"",  # closes at once
    b"garbage\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # then closes
    http(b"200 OK", b"<html>login page</html>"),
    http(b"200 OK", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"),
    http(b"200 OK", ENVELOPE),  # a reply missing every mandatory field
    http(b"302 Found", b"", b"Location: https://cam/onvif/device_service\r\n"),
    http(b"500 Internal Server Error", b"Oops"),
    http(b"401 Unauthorized", b"", b'WWW-Authenticate: Digest realm="x"\r\n'),  # no nonce
    http(b"401 Unauthorized", b"", b'WWW-Authenticate: Basic realm="x"\r\n'),
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n",
    *_random_blobs(),
]


@pytest.mark.parametrize("reply", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_replies_give_typed_errors(reply: bytes) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(reply)
        await writer.drain()

    async with raw_server(answer) as port, SoapHttp() as client:
        dev = OnvifDevice(f"127.0.0.1:{port}", "u", "p", http=client, timeout_s=2)
        with pytest.raises(OnvifError) as info:
            await dev.device_information()
        assert isinstance(info.value, (RemoteProtocolError, TransportError)) or (
            type(info.value).__name__.endswith("Fault")
        )
