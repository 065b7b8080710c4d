"""Action payloads in the API: lists as lists, every kind back equal from its JSON, the
live stream's shape equal to the REST one, and both as the OpenAPI description says."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest

from callpoint.action_payloads import PopupPayload
from callpoint.console.live import encode, screen_live
from callpoint.console.openapi import openapi
from callpoint.console.serialize import action_json, payload_json
from callpoint.model import ActionKind, EventType
from callpoint.store.payload_codec import payload_from_fields
from tests import factories as f


@pytest.fixture(scope="module")
def action_schema() -> jsonschema_rs.Draft202012Validator:
    root = {"$ref": "#/components/schemas/Action", "components": openapi()["components"]}
    return jsonschema_rs.Draft202012Validator(root)


@pytest.mark.parametrize("kind", list(ActionKind))
def test_every_kind_round_trips_through_the_api_json(
    kind: ActionKind, action_schema: jsonschema_rs.Draft202012Validator
) -> None:
    action = f.action(kind)
    sent = json.loads(json.dumps(action_json(action)))
    assert sent["kind"] == kind.value
    assert payload_from_fields(kind, sent["payload"]) == action.payload
    action_schema.validate(sent)


def test_camera_lists_and_header_pairs_are_json_arrays() -> None:
    popup = payload_json(f.PAYLOADS[ActionKind.POPUP])
    assert popup["cameras"] == ["TANKFARM-EAST-PTZ-01", "TANKFARM-EAST-FIX-02"]
    assert popup["event"] == "sos" and type(popup["event"]) is str
    assert payload_json(f.PAYLOADS[ActionKind.SHOW])["layout"] == "wall-2x2"
    assert payload_json(f.PAYLOADS[ActionKind.HTTP])["headers"] == [["X-Site", "tankfarm"]]


@pytest.mark.parametrize("kind", [ActionKind.POPUP, ActionKind.SHOW, ActionKind.ESCALATE])
def test_the_stream_sends_the_payload_as_the_rest_api_does(kind: ActionKind) -> None:
    action = f.action(kind, target="dispatch", incident_id="inc-1")
    streamed = json.loads(encode(screen_live(action)))
    assert streamed["payload"] == payload_json(action.payload)
    assert streamed["kind"] == kind.value


def test_the_schema_ties_the_payload_to_the_kind(
    action_schema: jsonschema_rs.Draft202012Validator,
) -> None:
    popup = json.loads(json.dumps(action_json(f.action(ActionKind.POPUP))))
    assert action_schema.is_valid(popup)
    assert not action_schema.is_valid({**popup, "kind": "show"})
    assert not action_schema.is_valid({**popup, "payload": {**popup["payload"], "extra": 1}})
    cameras_as_text = {**popup["payload"], "cameras": "A,B"}
    assert not action_schema.is_valid({**popup, "payload": cameras_as_text})


def test_an_escalation_pop_up_says_its_level() -> None:
    payload = PopupPayload("i1", "L", "D", EventType.SOS, escalation_level=2)
    assert payload_json(payload)["escalation_level"] == 2
    assert payload_json(payload)["cameras"] == []
