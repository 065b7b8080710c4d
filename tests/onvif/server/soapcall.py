"""A bare SOAP caller for tests: our envelope builder and UsernameToken, aiohttp transport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from lxml import etree

from callpoint.codecs.soap import Envelope, build_envelope, parse_envelope
from callpoint.onvif.namespaces import qname
from callpoint.onvif.security import username_token


def element(
    ns: str, local: str, *children: etree._Element, text: str | None = None
) -> etree._Element:
    """A request element with child elements or text."""
    el = etree.Element(qname(ns, local))
    el.extend(children)
    if text is not None:
        el.text = text
    return el


def args(ns: str, local: str, **values: str) -> etree._Element:
    """An operation element whose arguments are simple text children in its namespace."""
    el = element(ns, local)
    for name, value in values.items():
        etree.SubElement(el, qname(ns, name)).text = value
    return el


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    envelope: Envelope

    @property
    def body(self) -> etree._Element:
        assert self.envelope.body is not None
        return self.envelope.body


async def call(
    url: str,
    body: etree._Element,
    user: str | None = None,
    password: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    extra_headers: list[etree._Element] | None = None,
    raw: bytes | None = None,
) -> Answer:
    """POST one SOAP request; with a user, signed with a PasswordDigest UsernameToken."""
    blocks = list(extra_headers or [])
    if user is not None and password is not None:
        blocks.append(username_token(user, password, datetime.now(UTC)))
    data = raw if raw is not None else build_envelope(body, blocks)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            data=data,
            headers={"Content-Type": "application/soap+xml; charset=utf-8", **(headers or {})},
        ) as response,
    ):
        payload = await response.read()
        return Answer(response.status, dict(response.headers), parse_envelope(payload))
