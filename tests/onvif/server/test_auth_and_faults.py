"""Authentication (UsernameToken, HTTP Digest) and the faults we answer with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from lxml import etree

from callpoint.codecs.soap import build_envelope, parse_envelope, parse_fault
from callpoint.onvif.namespaces import SOAP_ENV, TDS, TEV, TRT, qname
from callpoint.onvif.security import username_token
from tests.onvif.server.conftest import Served
from tests.onvif.server.sites import ADMIN, ADMIN_PW, VIEWER, VIEWER_PW
from tests.onvif.server.soapcall import Answer, args, call, element

pytestmark = pytest.mark.asyncio


def subcodes(answer: Answer) -> list[str]:
    fault = parse_fault(answer.body)
    return [s.rpartition("}")[2] for s in fault.subcodes]


def code(answer: Answer) -> str:
    return parse_fault(answer.body).code.rpartition("}")[2]


async def test_get_system_date_and_time_needs_no_credentials(served: Served) -> None:
    answer = await call(served.hosted.device_service_url, element(TDS, "GetSystemDateAndTime"))
    assert answer.status == 200
    assert answer.body.findtext(f".//{{{TDS}}}SystemDateAndTime/*") is not None


async def test_missing_credentials_get_401_with_a_digest_challenge(served: Served) -> None:
    answer = await call(served.hosted.device_service_url, element(TDS, "GetDeviceInformation"))
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"].startswith("Digest ")
    assert subcodes(answer) == ["NotAuthorized"]


async def test_bad_username_token_is_a_400_sender_fault(served: Served) -> None:
    answer = await call(
        served.hosted.device_service_url, element(TDS, "GetDeviceInformation"), ADMIN, "nope"
    )
    assert answer.status == 400
    assert code(answer) == "Sender"
    assert subcodes(answer) == ["NotAuthorized"]


async def test_replayed_and_stale_username_tokens_are_refused(served: Served) -> None:
    url = served.hosted.device_service_url
    token = username_token(ADMIN, ADMIN_PW, datetime.now(UTC))
    data = build_envelope(element(TDS, "GetDeviceInformation"), [token])
    first = await call(url, element(TDS, "GetDeviceInformation"), raw=data)
    replay = await call(url, element(TDS, "GetDeviceInformation"), raw=data)
    assert (first.status, replay.status) == (200, 400)
    stale = username_token(ADMIN, ADMIN_PW, datetime.now(UTC) - timedelta(hours=1))
    old = await call(url, element(TDS, "GetDeviceInformation"), extra_headers=[stale])
    assert old.status == 400


async def test_http_digest_authenticates_per_device_user(served: Served) -> None:
    url = served.hosted.device_service_url
    data = build_envelope(element(TDS, "GetDeviceInformation"))
    headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
    for password, expected in ((ADMIN_PW, 200), ("wrong", 401)):
        digest = aiohttp.DigestAuthMiddleware(ADMIN, password)
        async with (
            aiohttp.ClientSession(middlewares=(digest,)) as session,
            session.post(url, data=data, headers=headers) as response,
        ):
            payload = await response.read()
            assert response.status == expected
            if expected == 200:
                body = parse_envelope(payload).body
                assert body is not None
                assert body.findtext(f"{{{TDS}}}Model") == "Virtual Intercom"


async def test_user_level_limits_access_classes(served: Served) -> None:
    url = served.hosted.device_service_url
    users = await call(url, element(TDS, "GetUsers"), VIEWER, VIEWER_PW)
    assert users.status == 400
    assert subcodes(users) == ["NotAuthorized"]
    admin_users = await call(url, element(TDS, "GetUsers"), ADMIN, ADMIN_PW)
    names = [u.findtext("{http://www.onvif.org/ver10/schema}Username") for u in admin_users.body]
    assert names == [ADMIN, VIEWER]
    assert b"Password" not in etree.tostring(admin_users.body)


async def test_unknown_action_is_action_not_supported(served: Served) -> None:
    answer = await call(
        served.hosted.device_service_url, element(TDS, "SystemReboot"), ADMIN, ADMIN_PW
    )
    assert answer.status == 500
    assert code(answer) == "Receiver"
    assert subcodes(answer) == ["ActionNotSupported"]
    # A media operation sent to the device service is not an operation of that service.
    wrong = await call(
        served.hosted.device_service_url, element(TRT, "GetProfiles"), ADMIN, ADMIN_PW
    )
    assert subcodes(wrong) == ["ActionNotSupported"]


async def test_bad_arguments_are_invalid_arg_val(served: Served) -> None:
    base = served.hosted.base_url
    missing = await call(
        f"{base}/onvif/media_service", element(TRT, "GetSnapshotUri"), ADMIN, ADMIN_PW
    )
    assert missing.status == 400
    assert subcodes(missing)[0] == "InvalidArgVal"
    relay = await call(
        f"{base}/onvif/device_service",
        args(TDS, "SetRelayOutputState", RelayOutputToken="door-relay", LogicalState="open"),
        ADMIN,
        ADMIN_PW,
    )
    assert subcodes(relay) == ["InvalidArgVal"]
    unknown = await call(
        f"{base}/onvif/device_service",
        args(TDS, "SetRelayOutputState", RelayOutputToken="nope", LogicalState="active"),
        ADMIN,
        ADMIN_PW,
    )
    assert subcodes(unknown) == ["InvalidArgVal", "RelayToken"]
    pull = await call(
        f"{base}/onvif/events_service",
        args(TEV, "CreatePullPointSubscription", InitialTerminationTime="yesterday"),
        ADMIN,
        ADMIN_PW,
    )
    assert pull.status == 400


async def test_malformed_xml_and_soap11_are_refused(served: Served) -> None:
    url = served.hosted.device_service_url
    broken = await call(url, element(TDS, "GetDeviceInformation"), raw=b"<s:Envelope")
    assert broken.status == 400
    assert subcodes(broken) == ["WellFormed"]
    doctype = await call(
        url, element(TDS, "X"), raw=b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    )
    assert doctype.status == 400
    soap11 = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        b'<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></e:Body></e:Envelope>'
    )
    answer = await call(url, element(TDS, "X"), raw=soap11)
    assert code(answer) == "VersionMismatch"


async def test_unknown_must_understand_header_is_refused(served: Served) -> None:
    header = etree.Element("{urn:example}Mystery")
    header.set(qname(SOAP_ENV, "mustUnderstand"), "true")
    answer = await call(
        served.hosted.device_service_url,
        element(TDS, "GetSystemDateAndTime"),
        extra_headers=[header],
    )
    assert code(answer) == "MustUnderstand"
