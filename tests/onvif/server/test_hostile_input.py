"""Hostile or broken arguments never crash a handler: every answer is a SOAP envelope.

Each request of the schema test is mutated (an argument dropped, or replaced by junk) and
sent; the server must answer 200 or a SOAP fault, never an unhandled error.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime

import aiohttp
import pytest
from lxml import etree

from callpoint.codecs.soap import build_envelope, parse_envelope
from callpoint.onvif.security import username_token
from tests.onvif.server.conftest import Served
from tests.onvif.server.sites import ADMIN, ADMIN_PW
from tests.onvif.server.test_schema_valid import CASES

pytestmark = pytest.mark.asyncio

JUNK = ("", "-1", "0", "x" * 300, "PT-1S", "P99999999D", "1e9", "true", "NaN", "\u00e9\u4e2d")


def mutations(body: etree._Element, rng: random.Random) -> list[etree._Element]:
    out = []
    leaves = [el for el in body.iter() if el is not body and len(el) == 0]
    for i in range(len(leaves)):
        dropped = copy.deepcopy(body)
        victim = [el for el in dropped.iter() if el is not dropped and len(el) == 0][i]
        parent = victim.getparent()
        assert parent is not None
        parent.remove(victim)
        out.append(dropped)
        junked = copy.deepcopy(body)
        target = [el for el in junked.iter() if el is not junked and len(el) == 0][i]
        target.text = rng.choice(JUNK)
        for name in target.attrib:
            target.set(name, rng.choice(JUNK))
        out.append(junked)
    return out


async def test_mutated_requests_always_get_a_soap_answer(served: Served) -> None:
    rng = random.Random(4)
    sent = 0
    async with aiohttp.ClientSession() as session:
        for service, build in CASES:
            assert callable(build)
            for body in mutations(build(), rng):
                token = username_token(ADMIN, ADMIN_PW, datetime.now(UTC))
                async with session.post(
                    f"{served.hosted.base_url}/onvif/{service}",
                    data=build_envelope(body, [token]),
                ) as response:
                    payload = await response.read()
                    assert response.status in (200, 400, 500), payload[:200]
                    assert response.content_type == "application/soap+xml"
                    envelope = parse_envelope(payload)
                    assert envelope.body is not None
                    sent += 1
    assert sent > 50
