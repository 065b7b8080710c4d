"""Subscription filters: topic expressions ANDed, ItemFilter message-content XPath."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from callpoint.onvif.namespaces import TEV, TT, WSNT, qname
from callpoint.onvif.server.filters import EventFilter, MessageContentFilter
from callpoint.onvif.server.topics import (
    NotificationMessage,
    PropertyOperation,
    SimpleItem,
    TopicFilter,
)
from tests.onvif.server.conftest import Served
from tests.onvif.server.sites import ADMIN, ADMIN_PW
from tests.onvif.server.soapcall import args, call

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def message(
    token: str, value: str, topic: str = "Device/Trigger/DigitalInput"
) -> NotificationMessage:
    return NotificationMessage(
        topic,
        T0,
        PropertyOperation.CHANGED,
        (SimpleItem("InputToken", token),),
        (SimpleItem("LogicalState", value),),
    )


def test_item_filter_selects_by_simple_item() -> None:
    only_button = MessageContentFilter(
        'boolean(//tt:SimpleItem[@Name="InputToken" and @Value="call-button"])', {}
    )
    assert only_button.matches(message("call-button", "true"))
    assert not only_button.matches(message("tamper", "true"))
    active = MessageContentFilter(
        'boolean(//x:SimpleItem[@Name="LogicalState" and @Value="true"])', {"x": TT}
    )
    both = EventFilter((TopicFilter("tns1:Device//."),), (only_button, active))
    assert both.matches(message("call-button", "true"))
    assert not both.matches(message("call-button", "false"))
    assert not both.matches(message("call-button", "true", topic="Door/State/DoorMode"))


def test_topic_expressions_are_all_required() -> None:
    f = EventFilter((TopicFilter("tns1:Device//."), TopicFilter("tns1:Device/Trigger/Relay")))
    assert f.matches(message("r", "active", topic="Device/Trigger/Relay"))
    assert not f.matches(message("i", "true"))


def test_bad_or_hostile_expressions_are_refused_or_contained() -> None:
    for bad in ("", "boolean(", "nosuch(1)", "x" * 2000):
        with pytest.raises(ValueError, match=r"\w"):
            MessageContentFilter(bad, {})
    # EXSLT regular expressions are switched off, so a backtracking bomb is refused.
    with pytest.raises(ValueError, match="XPath"):
        MessageContentFilter(
            'boolean(re:test(//tt:SimpleItem/@Value, "(a+)+$"))',
            {"re": "http://exslt.org/regular-expressions"},
        )


@pytest.mark.asyncio
async def test_pullpoint_with_message_content_filter(served: Served) -> None:
    req = args(TEV, "CreatePullPointSubscription")
    holder = etree.SubElement(req, qname(TEV, "Filter"))
    content = etree.SubElement(
        holder,
        qname(WSNT, "MessageContent"),
        Dialect="http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter",
        nsmap={"tt": TT},
    )
    content.text = 'boolean(//tt:SimpleItem[@Name="InputToken" and @Value="tamper"])'
    created = await call(f"{served.hosted.base_url}/onvif/events_service", req, ADMIN, ADMIN_PW)
    assert created.status == 200
    address = created.body.findtext(".//{http://www.w3.org/2005/08/addressing}Address")
    assert address is not None
    served.device.set_input("call-button", True)
    served.device.set_input("tamper", True)
    pulled = await call(
        address, args(TEV, "PullMessages", Timeout="PT1S", MessageLimit="50"), ADMIN, ADMIN_PW
    )
    values = [
        (m.get("PropertyOperation"), i.get("Value"))
        for m in pulled.body.iter(qname(TT, "Message"))
        for i in m.iter(qname(TT, "SimpleItem"))
        if i.get("Name") == "InputToken"
    ]
    assert values == [("Initialized", "tamper"), ("Changed", "tamper")]
    bad = args(TEV, "CreatePullPointSubscription")
    etree.SubElement(
        etree.SubElement(bad, qname(TEV, "Filter")), qname(WSNT, "MessageContent")
    ).text = "boolean("
    refused = await call(f"{served.hosted.base_url}/onvif/events_service", bad, ADMIN, ADMIN_PW)
    assert refused.status == 400
    assert b"InvalidFilterFault" in etree.tostring(refused.body)


@pytest.mark.asyncio
async def test_unknown_filter_dialects_are_refused(served: Served) -> None:
    for local, dialect, subcode in (
        ("TopicExpression", "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Full", b"Dialect"),
        ("MessageContent", "urn:example:sql", b"InvalidFilterFault"),
    ):
        req = args(TEV, "CreatePullPointSubscription")
        holder = etree.SubElement(req, qname(TEV, "Filter"))
        etree.SubElement(holder, qname(WSNT, local), Dialect=dialect).text = "tns1:Device/*"
        answer = await call(f"{served.hosted.base_url}/onvif/events_service", req, ADMIN, ADMIN_PW)
        assert answer.status == 400
        assert subcode in etree.tostring(answer.body)
    assert len(served.device.events.table) == 0
