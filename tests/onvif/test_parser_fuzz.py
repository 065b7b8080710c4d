"""Reply parsers on mutated real replies: only our error types may escape."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from callpoint.codecs.soap import build_fault, parse_envelope, raise_for_fault
from callpoint.onvif import device, deviceio, doorcontrol, events, media, ptz
from callpoint.onvif.errors import OnvifError, SenderFault

FIXTURES = Path(__file__).parent.parent / "fixtures" / "onvif"
PARSERS: list[Callable[[etree._Element | None], object]] = [
    device.parse_system_date_and_time,
    device.parse_device_information,
    device.parse_services,
    device.parse_capabilities,
    device.parse_scopes,
    device.parse_network_interfaces,
    device.parse_relay_outputs,
    deviceio.parse_digital_inputs,
    media.parse_profiles,
    media.parse_stream_uri,
    media.parse_snapshot_uri,
    media.parse_audio_configurations,
    ptz.parse_presets,
    ptz.parse_status,
    events.parse_event_properties,
    events.parse_create_pull_point_subscription,
    events.parse_pull_messages,
    events.parse_notify,
    doorcontrol.parse_door_info_list,
    doorcontrol.parse_door_state,
    doorcontrol.parse_access_point_info_list,
]
SAMPLES = [p.read_bytes() for p in sorted(FIXTURES.glob("*.xml"))]


def _well_formed(data: bytes) -> bool:
    try:
        parse_envelope(data)
    except OnvifError:
        return False
    return True


WELL_FORMED = [s for s in SAMPLES if _well_formed(s)]


def run_all(data: bytes) -> int:
    """Feed `data` to every parser; only OnvifError may come out. Returns how many parsed."""
    try:
        env = parse_envelope(data)
        raise_for_fault(env)
    except OnvifError:
        return 0
    parsed = 0
    for parse in PARSERS:
        with contextlib.suppress(OnvifError):
            parse(env.body)
            parsed += 1
    return parsed


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.data(),
)
def test_mutated_replies_raise_only_onvif_errors(sample: bytes, data: st.DataObject) -> None:
    # Mutate inside the body: replace a short span of text with something else.
    start = data.draw(st.integers(0, len(sample) - 1))
    length = data.draw(st.integers(0, 6))
    junk = data.draw(
        st.sampled_from(
            [
                b"",
                b"-1",
                b"99999999999",
                b"x",
                b"<a/>",
                b"&amp;",
                b"\xff",
                b"T",
                b":",
                b"PT",
                b"2026-13-45",
            ]
        )
    )
    run_all(sample[:start] + junk + sample[start + length :])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(WELL_FORMED), st.integers(0, 200))
def test_values_replaced_by_garbage(sample: bytes, seed: int) -> None:
    # Replace every text value with odd content that still parses as XML.
    root = etree.fromstring(sample)
    odd = ["", "-5", "1e999", "nan", "P", "9999-99-99T99:99:99Z", "x" * 50, "true", " "]
    for i, el in enumerate(root.iter()):
        if isinstance(el.tag, str) and el.text and el.text.strip():
            el.text = odd[(i + seed) % len(odd)]
        for k in list(el.attrib):
            el.set(k, odd[(i + seed + 3) % len(odd)])
    assert 0 <= run_all(etree.tostring(root)) <= len(PARSERS)  # no other exception escaped


@given(st.text(max_size=200))
def test_fault_reason_round_trips_any_text(reason: str) -> None:
    # XML 1.0 cannot carry most control characters; they are our misuse, not a crash.
    try:
        data = build_fault(SenderFault(reason))
    except ValueError:
        return
    try:
        raise_for_fault(parse_envelope(data))
    except SenderFault as fault:
        assert fault.reason == reason.strip()
    else:
        raise AssertionError("no fault raised")
