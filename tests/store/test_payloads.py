"""Action payloads in the store: versioned JSON, every kind back equal, and the flat
`params` rows of a database from before typed payloads read (and rewritten) on upgrade."""

from __future__ import annotations

import json
import sqlite3
import typing
from dataclasses import fields
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callpoint.action_payloads import (
    PAYLOAD_TYPES,
    BeaconPayload,
    DoorPayload,
    EscalatePayload,
    HomePayload,
    HttpPayload,
    Payload,
    PopupPayload,
    PresetPayload,
    PublishPayload,
    RecordPayload,
    RelayPayload,
    ShowPayload,
    VmsEventPayload,
)
from callpoint.model import ActionKind, EventType
from callpoint.store.base import StoreError, Write
from callpoint.store.migrations import migrate
from callpoint.store.payload_codec import (
    PAYLOAD_VERSION,
    PayloadFormatError,
    payload_from_text,
    payload_to_text,
)
from callpoint.store.sqlite import SqliteStore
from tests import factories as f


def test_every_kind_has_a_payload_class_and_a_sample() -> None:
    assert set(PAYLOAD_TYPES) == set(ActionKind) == set(f.PAYLOADS)
    for kind, cls in PAYLOAD_TYPES.items():
        assert cls.kind is kind and type(f.PAYLOADS[kind]) is cls
        assert f.action(kind).kind is kind


@pytest.mark.asyncio
async def test_every_kind_round_trips_through_the_store_as_versioned_json(
    store: SqliteStore,
) -> None:
    actions = [f.action(kind, target=f"t-{kind.value}") for kind in ActionKind]
    await store.write(Write(actions=actions))
    assert sorted(await store.actions(), key=lambda a: a.id) == sorted(actions, key=lambda a: a.id)
    conn = sqlite3.connect(store.path)
    stored = dict(conn.execute("SELECT kind, payload FROM actions").fetchall())
    conn.close()
    assert set(stored) == {k.value for k in ActionKind}
    for text in stored.values():
        assert set(json.loads(text)) == {"payload", "v"} and json.loads(text)["v"] == 1
    show = json.loads(stored["show"])["payload"]
    assert show == {
        "cameras": ["TANKFARM-EAST-PTZ-01", "TANKFARM-EAST-FIX-02"],
        "location": "TANKFARM-EAST-POST-03",
        "layout": "wall-2x2",
    }
    assert json.loads(stored["http"])["payload"]["headers"] == [["X-Site", "tankfarm"]]


def _field_strategy(hint: object) -> st.SearchStrategy[object]:
    """Values of a payload field's type (finite floats: config and API bound them)."""
    simple: dict[object, st.SearchStrategy[object]] = {
        str: st.text(max_size=20),
        int: st.integers(-(2**63), 2**63 - 1),
        float: st.floats(allow_nan=False, allow_infinity=False),
        bool: st.booleans(),
        EventType: st.sampled_from(EventType),
    }
    if hint in simple:
        return simple[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return st.sampled_from(args)
    if origin is not tuple:  # X | None
        (inner,) = (a for a in args if a is not type(None))
        return st.none() | _field_strategy(inner)
    if args[-1] is Ellipsis:
        return st.lists(_field_strategy(args[0]), max_size=4).map(tuple)
    return st.tuples(*(_field_strategy(a) for a in args))


def _payloads(cls: type[Payload]) -> st.SearchStrategy[Payload]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{fl.name: _field_strategy(hints[fl.name]) for fl in fields(cls)})


PAYLOADS: st.SearchStrategy[Payload] = st.one_of(*(_payloads(c) for c in PAYLOAD_TYPES.values()))


@given(PAYLOADS)
def test_any_payload_round_trips_through_its_stored_text(payload: Payload) -> None:
    assert payload_from_text(payload.kind, payload_to_text(payload)) == payload


def test_a_lone_surrogate_is_escaped_and_kept() -> None:
    payload = RecordPayload(bookmark="SOS \ud800 at post 3", location="POST-03")
    text = payload_to_text(payload)
    assert "\\ud800" in text
    assert payload_from_text(ActionKind.RECORD, text) == payload


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"payload": {"level": 1, "incident_id": "i"}, "v": 2}', "not version 1"),
        ('{"payload": {"level": 1, "colour": "red"}, "v": 1}', "colour"),
        ('{"payload": {"level": 1, "incident_id": "i"', "escalate payload"),
        ("[1, 2]", "not an object"),
    ],
)
def test_unreadable_payload_text_is_refused(text: str, why: str) -> None:
    with pytest.raises(PayloadFormatError, match=why):
        payload_from_text(ActionKind.ESCALATE, text)


# Rows as the planner wrote them up to schema version 2, and what each reads as now.
LEGACY: list[tuple[ActionKind, dict[str, object], Payload]] = [
    (
        ActionKind.PRESET,
        {"preset": "7", "preset_name": "Gate", "location": "L", "home_after_s": 60.0},
        PresetPayload("7", "Gate", "L", 60.0),
    ),
    (ActionKind.HOME, {"location": "L", "preset": "1"}, HomePayload("L", "1")),
    (ActionKind.HOME, {"location": "L"}, HomePayload("L", None)),
    (
        ActionKind.RECORD,
        {
            "mode": "start",
            "pre_roll_s": 5.0,
            "duration_s": 45.0,
            "post_roll_s": 30.0,
            "forced": True,
            "location": "L",
            "bookmark": "SOS at L",
        },
        RecordPayload("start", 5.0, 45.0, 30.0, True, "SOS at L", "L"),
    ),
    (ActionKind.RECORD, {"mode": "stop", "location": "L"}, RecordPayload("stop", location="L")),
    (
        ActionKind.SHOW,
        {"cameras": "PTZ-01,FIX-02", "location": "L", "layout": "wall"},
        ShowPayload(("PTZ-01", "FIX-02"), "L", "wall"),
    ),
    (ActionKind.SHOW, {"cameras": "", "location": "L"}, ShowPayload((), "L")),
    (
        ActionKind.POPUP,
        {
            "incident_id": "i1",
            "location": "L",
            "device": "EXPH-03",
            "event": "sos",
            "cameras": "PTZ-01,FIX-02",
            "escalation_level": 2,
        },
        PopupPayload("i1", "L", "EXPH-03", EventType.SOS, ("PTZ-01", "FIX-02"), None, 2),
    ),
    (ActionKind.RELAY, {"output": "1", "mode": "on"}, RelayPayload("1", "on", 3.0)),
    (
        ActionKind.DOOR,
        {"mode": "pulse", "pulse_s": 5.0, "output": "1", "by": "op1"},
        DoorPayload("1", "pulse", 5.0, "op1"),
    ),
    # A mode the executor refused then is still refused: a pulse of no length.
    (ActionKind.RELAY, {"mode": "blink"}, RelayPayload("1", "pulse", 0.0)),
    (
        ActionKind.BEACON,
        {"output": "coil-2", "mode": "pulse", "pulse_s": 3.0},
        BeaconPayload("coil-2", "pulse", 3.0),
    ),
    (
        ActionKind.HTTP,
        {"method": "POST", "timeout_s": 5.0, "body": '{"a": 1}'},
        HttpPayload("POST", 5.0, '{"a": 1}'),
    ),
    (
        ActionKind.HTTP,
        {"url": "http://gate/open", "timeout": 2, "header.X-Site": "tf", "expect_status": "204"},
        HttpPayload("POST", 2.0, None, "http://gate/open", (("X-Site", "tf"),), "204"),
    ),
    (
        ActionKind.VMS_EVENT,
        {"name": "SOS", "location": "L", "device": "EXPH-03", "event": "sos"},
        VmsEventPayload("SOS", "L", "EXPH-03", EventType.SOS),
    ),
    (
        ActionKind.PUBLISH,
        {"location": "L", "device": "EXPH-03", "event": "off_hook"},
        PublishPayload("L", "EXPH-03", EventType.OFF_HOOK),
    ),
    (ActionKind.ESCALATE, {"level": 1, "incident_id": "i1"}, EscalatePayload(1, "i1")),
]


def test_legacy_cases_cover_every_kind() -> None:
    assert {kind for kind, _, _ in LEGACY} == set(ActionKind)


@pytest.mark.parametrize(("kind", "params", "payload"), LEGACY)
def test_flat_params_text_reads_as_the_typed_payload(
    kind: ActionKind, params: dict[str, object], payload: Payload
) -> None:
    assert payload_from_text(kind, json.dumps(params)) == payload


@pytest.mark.asyncio
async def test_a_version_2_database_with_params_rows_works_after_the_upgrade(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db"
    conn = sqlite3.connect(path)
    migrate(conn, target=2)
    for n, (kind, params, _) in enumerate(LEGACY):
        conn.execute(
            "INSERT INTO actions (id, kind, target, event_id, incident_id, priority, created_at,"
            " params, due_at, state, attempts, last_error, finished_at) VALUES"
            " (?, ?, 'T', 'e1', NULL, 50, '2026-01-01T00:00:00.000000Z', ?, NULL, 'planned', 0,"
            " NULL, NULL)",
            (f"a{n:02}", kind.value, json.dumps(params)),
        )
    conn.commit()
    conn.close()
    store = SqliteStore(path)
    await store.open()
    try:
        read = sorted(await store.actions(), key=lambda a: a.id)
        assert [(a.kind, a.payload) for a in read] == [(k, p) for k, _, p in LEGACY]
        # The outbox claims them like any other planned action.
        claimed = await store.claim_due_actions(f.T0, frozenset({ActionKind.PRESET}), 10)
        assert [a.payload for a in claimed] == [LEGACY[0][2]]
    finally:
        await store.close()
    with sqlite3.connect(path) as check:
        texts = [r[0] for r in check.execute("SELECT payload FROM actions ORDER BY id")]
    assert [json.loads(t)["v"] for t in texts] == [PAYLOAD_VERSION] * len(LEGACY)
    assert json.loads(texts[5])["payload"]["cameras"] == ["PTZ-01", "FIX-02"]


def test_a_row_the_upgrade_cannot_read_leaves_the_database_at_version_2(
    tmp_path: Path,
) -> None:
    conn = sqlite3.connect(tmp_path / "db", isolation_level=None)
    migrate(conn, target=2)
    conn.execute(
        "INSERT INTO actions (id, kind, target, event_id, priority, created_at, params, state,"
        " attempts) VALUES ('a', 'popup', 'T', 'e', 1, 'x', '{\"event\": \"nope\"}', 'planned', 0)"
    )
    with pytest.raises(StoreError, match="migration to schema version 3 failed"):
        migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT params FROM actions").fetchone()[0] == '{"event": "nope"}'
    conn.close()
