"""check-config refuses what would later fail at start or reload, each at its line."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest

from callpoint.cli import check_config
from tests.config.hostile import CASES, HOSTILE_ENV, Hostile, reported, write_case

# A bomb is refused before it expands: well under a second each on a loaded CI core.
REFUSAL_BUDGET_S = 3.0


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_check_config_refuses_with_file_line_field_and_message(
    case: Hostile,
    tmp_path: Path,
    site_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in HOSTILE_ENV.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "site.yaml"
    _, line = write_case(case, config)
    started = time.monotonic()
    status = check_config.run(argparse.Namespace(file=str(config)))
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert status == 1
    assert reported(case, config, line, err.splitlines()), err
    assert elapsed < REFUSAL_BUDGET_S, elapsed
    for value in HOSTILE_ENV.values():
        assert value not in err  # the report names fields, never secret values


def test_a_self_referring_alias_and_a_bomb_of_nested_aliases_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("site: {name: X}\nloop: &a [*a]\n")
    assert check_config.run(argparse.Namespace(file=str(config))) == 1
    assert (
        f"{config}:2: nested deeper than 64 levels once aliases expand" in capsys.readouterr().err
    )


def test_values_yaml_cannot_build_are_config_errors_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "site.yaml"
    for body, message in (
        ("site: {name: !custom x}\n", "could not determine a constructor for the tag '!custom'"),
        ("site: {name: " + "9" * 5000 + "}\n", "cannot read value: Exceeds the limit"),
        ("site: {name: 2024-13-45}\n", "cannot read value: month must be in 1..12"),
        ("site: {name: X}\n? [a, b]\n: 1\n", "a key must be a plain value"),
    ):
        config.write_text("# a site\n" + body)
        assert check_config.run(argparse.Namespace(file=str(config))) == 1
        err = capsys.readouterr().err
        assert f"{config}:" in err and message in err, (body[:40], err)


def test_a_config_file_that_is_not_a_small_regular_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path, message in (
        ("/dev/zero", "config file /dev/zero is not a regular file"),
        (str(tmp_path), f"config file {tmp_path} is not a regular file"),
    ):
        assert check_config.run(argparse.Namespace(file=path)) == 1
        assert f"{path}: {message}" in capsys.readouterr().err
