"""`callpoint check-config`: exit 0 on a valid file; every problem with file:line otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET

ENV = {
    **os.environ,
    "CALLPOINT_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "CALLPOINT_API_TOKEN": API_TOKEN,
}


def check(path: Path, env: dict[str, str] = ENV) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callpoint.cli", "check-config", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


def test_example_site_is_valid() -> None:
    done = check(EXAMPLE_SITE)
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout and "Tank Farm East" in done.stdout


def test_missing_secret_is_reported_with_its_line_and_never_its_value(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "CALLPOINT_WEBHOOK_SECRET"}
    done = check(EXAMPLE_SITE, env)
    assert done.returncode == 1
    line = next(
        n for n, t in enumerate(EXAMPLE_SITE.read_text().splitlines(), 1) if "webhook:" in t
    )
    assert f"site.yaml:{line + 1}: webhook.secret" in done.stderr
    assert "CALLPOINT_WEBHOOK_SECRET is not set" in done.stderr
    assert API_TOKEN not in done.stderr + done.stdout


def test_every_problem_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "site: {name: X}\n"  # 1
        "consoles:\n"  # 2
        "  - name: dispatch\n"  # 3
        "locations:\n"  # 4
        "  - tag: A\n"  # 5
        "    consoles: [dispatch]\n"  # 6
        "devices:\n"  # 7
        "  - id: D1\n"  # 8
        "    kind: phone\n"  # 9
        "    location: A\n"  # 10
        "    colour: red\n"  # 11
        "rules:\n"  # 12
        "  - name: r\n"  # 13
        "    on: [sos, bogus]\n"  # 14
        "    priority: 500\n"  # 15
        "    actions:\n"  # 16
        "      - {do: preset, cameras: some}\n"  # 17
        "      - {do: teleport}\n"  # 18
    )
    done = check(bad)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    expected = [
        f"{bad}:11: devices[0].colour:",
        f"{bad}:14: rules[0].on[1]:",
        f"{bad}:15: rules[0].priority:",
        f"{bad}:17: rules[0].actions[0].cameras:",
        f"{bad}:18: rules[0].actions[1]",
    ]
    for prefix in expected:
        assert any(line.startswith(prefix) for line in lines), (prefix, lines)
    assert lines[-1] == f"{len(lines) - 1} problem(s) in {bad}"


def test_cross_references_and_duplicates_are_checked(tmp_path: Path) -> None:
    bad = tmp_path / "refs.yaml"
    bad.write_text(
        "site: {name: X}\n"
        "consoles: [{name: dispatch}]\n"
        "cameras:\n"
        "  - {id: PTZ-1, kind: ptz, presets: {1: Home}}\n"
        "  - {id: FIX-1, kind: fixed}\n"
        "locations:\n"
        "  - tag: A\n"
        "    cameras: [PTZ-1, NOPE]\n"  # 8
        "    presets: {PTZ-1: 9, FIX-1: 1}\n"  # 9
        "    consoles: [dispatch, ghost]\n"  # 10
        "devices:\n"
        "  - {id: D1, kind: phone, location: B}\n"  # 12
        "  - {id: D1, kind: phone, location: A}\n"  # 13
        "escalation: {chain: [wall]}\n"  # 14
    )
    done = check(bad)
    assert done.returncode == 1
    for needle in (
        ":8: locations[0].cameras[1]: unknown camera 'NOPE'",
        ":9: locations[0].presets.PTZ-1: camera 'PTZ-1' has no preset '9'",
        ":9: locations[0].presets.FIX-1: camera 'FIX-1' is not a PTZ camera",
        ":10: locations[0].consoles[1]: unknown console 'ghost'",
        ":12: devices[0].location: unknown location 'B'",
        ":13: devices[1]: 'D1' is defined twice in devices",
        ":14: escalation.chain[0]: unknown console 'wall'",
    ):
        assert needle in done.stderr, (needle, done.stderr)


def test_yaml_syntax_error_and_duplicate_keys_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("site:\n  name: X\n  name: Y\nconsoles: [\n")
    done = check(broken)
    assert done.returncode == 1 and f"{broken}:" in done.stderr
    dup = tmp_path / "dup.yaml"
    dup.write_text("site:\n  name: X\n  name: Y\nconsoles: [{name: d}]\nlocations: []\n")
    done = check(dup)
    assert done.returncode == 1
    assert f"{dup}:3: site.name: duplicate key 'name'" in done.stderr
