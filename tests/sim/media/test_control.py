"""The media control channel codec and the pure pipeline helpers (no GStreamer needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callpoint.sim.media import control, pipeline

camera_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)
texts = st.text(max_size=pipeline.MAX_OVERLAY_CHARS)
seqs = st.integers(min_value=0, max_value=2**53)
commands = st.one_of(
    st.builds(control.AddCamera, seqs, camera_ids, texts, texts),
    st.builds(control.SetOverlay, seqs, camera_ids, texts),
    st.builds(control.RemoveCamera, seqs, camera_ids),
    st.builds(control.Stop, seqs),
)


@given(commands)
def test_commands_round_trip(command: control.Command) -> None:
    line = control.encode(command)
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # one message, one line
    assert control.decode_command(line) == command


@given(st.one_of(st.builds(control.Ready, seqs, seqs), st.builds(control.Reply, seqs, texts)))
def test_child_messages_round_trip(message: control.ChildMessage) -> None:
    assert control.decode_child_message(control.encode(message)) == message


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"op":"add","id":"a","name":"A"}', "'seq'"),
        (b'{"seq":true,"op":"stop"}', "'seq'"),
        (b'{"seq":1,"op":"explode"}', "unknown op"),
        (b'{"seq":1,"op":"overlay","id":"../etc","text":"x"}', "bad camera id"),
        (b'{"seq":1,"op":"overlay","id":"a","text":5}', "'text'"),
        (b'{"seq":1,"op":"overlay","id":"a","text":"' + b"x" * 200 + b'"}', "longer than"),
        (b'{"seq":1,"op":"stop","pad":"' + b"x" * 5000 + b'"}', "too long"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_bad_command_lines_are_refused(line: bytes, reason: str) -> None:
    with pytest.raises(control.ControlProtocolError, match=reason):
        control.decode_command(line)


@given(st.binary(max_size=300))
def test_garbage_never_escapes_as_another_exception(data: bytes) -> None:
    try:
        command = control.decode_command(data)
    except control.ControlProtocolError:
        return
    assert isinstance(
        command, control.AddCamera | control.SetOverlay | control.RemoveCamera | control.Stop
    )


@pytest.mark.parametrize(
    ("camera_id", "ok"),
    [
        ("gate-1", True),
        ("cam.2_b", True),
        ("", False),
        ("-x", False),
        ("a/b", False),
        ("a" * 64, True),
        ("a" * 65, False),
        ("é", False),
    ],
)
def test_camera_ids_are_safe_path_segments(camera_id: str, ok: bool) -> None:
    assert pipeline.valid_camera_id(camera_id) is ok


def test_preset_overlay_text() -> None:
    assert pipeline.preset_overlay("7", "Gate") == "PRESET 7 Gate"
    assert pipeline.preset_overlay("3") == "PRESET 3"


def test_backgrounds_are_dark_and_differ_between_cameras() -> None:
    colours = {pipeline.background_argb(f"cam{i}") for i in range(50)}
    assert len(colours) > 45
    for argb in colours:
        assert argb >> 24 == 0xFF
        assert all((argb >> shift) & 0xFF < 0x50 for shift in (0, 8, 16))


def test_launch_lines_carry_no_user_text() -> None:
    # Names and presets are set as properties, never spliced into the launch string.
    assert "text=" not in pipeline.rtsp_launch()
    assert "name=pay0" in pipeline.rtsp_launch()
    assert "appsink name=sink" in pipeline.snapshot_launch()
    assert "num-buffers=1" in pipeline.snapshot_launch()


def test_each_preset_has_its_own_dark_scene() -> None:
    scenes = {pipeline.scene_argb("ptz-1", pipeline.preset_overlay(str(n))) for n in range(20)}
    assert len(scenes) == 20
    assert pipeline.scene_argb("ptz-1", "") == pipeline.background_argb("ptz-1")
    assert all((argb >> shift) & 0xFF < 0x50 for argb in scenes for shift in (0, 8, 16))
