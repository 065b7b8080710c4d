"""The webhook body: field checks with reasons, normalisation against the site."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callpoint.config import Site
from callpoint.ingress.normalise import Normaliser, UnknownReferenceError
from callpoint.ingress.webhook_payload import PayloadError, parse_event_body, raw_event
from callpoint.model import Event, EventType, Source

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def to_event(raw: bytes, site: Site, event_id: str) -> Event:
    return Normaliser(site).normalise(raw_event(parse_event_body(raw), event_id), NOW)


def body(**fields: object) -> bytes:
    base: dict[str, object] = {
        "device": "EXPH-03",
        "type": "sos",
        "time": "2026-11-21T09:00:00+01:00",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


def test_a_complete_body_is_parsed_and_normalised(example_site: Site) -> None:
    raw = body(id="e-1", location="ELSEWHERE", attributes={"extension": "2003"})
    ev = to_event(raw, example_site, "EXPH-03:e-1")
    assert (ev.id, ev.source) == ("EXPH-03:e-1", Source.WEBHOOK)
    assert ev.type is EventType.SOS and ev.priority == 90
    assert ev.location == "TANKFARM-EAST-POST-03"  # the configured tag wins
    assert ev.attributes == {"extension": "2003", "reported_location": "ELSEWHERE"}
    assert ev.device_time == NOW  # 09:00+01:00 is 08:00Z
    assert ev.received_at == NOW


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[1]", "must be a JSON object"),
        (b"\xff", "not valid JSON"),
        (body(device=""), "'device' must be a non-empty string"),
        (body(type=7), "'type' must be a non-empty string"),
        (body(time="2026-11-21 09:00"), "no UTC offset"),
        (body(id="has space"), "'id' must be"),
        (body(attributes=[1]), "'attributes' must be an object"),
        (body(attributes={"a": {"b": 1}}), "attribute 'a'"),
        (body(attributes={str(i): i for i in range(33)}), "more than 32"),
        (body(attributes={"a": "x" * 600}), "longer than 512"),
        (body(extra=1), "unknown field(s): extra"),
        (body().replace(b"}", b', "attributes": {"t": Infinity}}'), "finite number"),
    ],
)
def test_malformed_bodies_say_which_field(raw: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_event_body(raw)


def test_unknown_device_and_type_are_unknown_references(example_site: Site) -> None:
    for raw, what in ((body(device="NOPE"), "device 'NOPE'"), (body(type="fire"), "type 'fire'")):
        with pytest.raises(UnknownReferenceError, match=what):
            to_event(raw, example_site, "x")


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_payload_error(raw: bytes) -> None:
    try:
        req = parse_event_body(raw)
    except PayloadError as exc:
        assert str(exc)  # always with a reason
    else:
        assert req.device and req.type and req.time.tzinfo is not None


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_any_json_value_parses_or_raises_payload_error(value: object) -> None:
    try:
        req = parse_event_body(json.dumps(value).encode())
    except PayloadError as exc:
        assert str(exc)
    else:
        assert isinstance(value, dict) and req.device == value["device"]
