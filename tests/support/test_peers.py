"""The peers plugin: a missing required peer skips, or fails under CI=true; optional skips.

Each case runs pytest in a subprocess on a small test file of three made-up peers, with
only this plugin loaded (no project conftest), with CI=true and without.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

TINY = """
from tests.support.peers import Peer, has_peer, needs, require_peer

GONE = Peer("fake-required", True, "apt fake-required", lambda: "fakectl is not on PATH")
EXTRA = Peer("fake-optional", False, "pip fake-optional", lambda: "no module fake_optional")
HERE = Peer("fake-present", True, "apt fake-present", lambda: "")


@needs(GONE)
def test_marked_required() -> None:
    pass


def test_calls_for_optional() -> None:
    require_peer(EXTRA)


def test_runs_with_less_without_optional() -> None:
    assert not has_peer(EXTRA)


@needs(HERE)
def test_present() -> None:
    assert has_peer(HERE)
"""


def _run(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_tiny.py").write_text(TINY)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # keeps the project's config out
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only this plugin, and a quick start
    if ci is not None:
        env["CI"] = ci
    plugins = ["-p", "tests.support.peers", "-p", "no:cacheprovider"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, "-ra", "-q", "test_tiny.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _summary(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_without_ci_every_missing_peer_skips_with_its_reason(tmp_path: Path) -> None:
    done = _run(tmp_path, None)
    assert done.returncode == 0, done.stdout
    assert re.match(r"2 passed, 2 skipped in ", _summary(done.stdout)), done.stdout
    assert (
        "SKIPPED [1] test_tiny.py:9: required peer fake-required missing: "
        "fakectl is not on PATH (install: apt fake-required)"
    ) in done.stdout
    assert "missing test peers" in done.stdout
    assert (
        "SKIPPED [1] test_tiny.py:14: optional peer fake-optional missing: "
        "no module fake_optional (install: pip fake-optional)"
    ) in done.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_a_missing_required_peer_fails_and_names_it(tmp_path: Path, ci: str) -> None:
    done = _run(tmp_path, ci)
    assert done.returncode == 1, done.stdout
    assert re.match(r"2 passed, 1 skipped, 1 error in ", _summary(done.stdout)), done.stdout
    failed = [line for line in done.stdout.splitlines() if line.startswith("ERROR ")]
    assert len(failed) == 1
    assert failed[0].startswith("ERROR test_tiny.py::test_marked_required - Failed: ")
    assert "required peer fake-required missing: fakectl is not on PATH" in failed[0]
    # The optional peer still only skips.
    assert "optional peer fake-optional missing" in done.stdout
    assert "test_runs_with_less_without_optional" not in "\n".join(failed)


def test_ci_false_is_not_ci(tmp_path: Path) -> None:
    assert _run(tmp_path, "false").returncode == 0


def test_tests_skip_for_peers_only_through_this_plugin() -> None:
    # A skip of its own would hide a missing peer from CI=true.
    skip = re.compile(r"pytest\.skip\(|importorskip\(|mark\.skipif\(")
    here = Path(__file__).parent
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.parent != here and skip.search(path.read_text())
    ]
    assert offenders == ["tests/test_osthread.py"]  # Linux only: a platform, not a peer
