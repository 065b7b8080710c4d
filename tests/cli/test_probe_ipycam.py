"""`callpoint probe` against ipycam (an ONVIF camera we did not write) in a network namespace.

ipycam multicasts a Hello at start, so it and the probe both run inside a namespace this
test creates (the fixtures of tests/onvif/test_ipycam.py). Its known faults must come out
as clear problems and notes, not crashes.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT
from tests.onvif.test_ipycam import PASSWORD, PORT, USER, ipycam, netns, pytestmark

__all__ = ["ipycam", "netns", "pytestmark"]

SCRIPT = (
    "import sys\n"
    "from tests.onvif.ipycam_probe import wait_for_port\n"
    "wait_for_port(int(sys.argv[1]))\n"
    "from callpoint.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def test_probe_reports_ipycam_quirks_as_problems(ipycam: str) -> None:
    argv = [
        "probe",
        f"127.0.0.1:{PORT}",
        "--user",
        USER,
        "--password-env",
        "CP_PW",
        "--json",
        "--stream-seconds",
        "1",
    ]
    run = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            ipycam,
            "env",
            f"CP_PW={PASSWORD}",
            sys.executable,
            "-c",
            SCRIPT,
            str(PORT),
            *argv,
        ],
        capture_output=True,
        text=True,
        timeout=55,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 1, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["reached"] and report["manufacturer"] == "PythonCam"
    assert report["date_needs_auth"] is True
    assert report["verified_profiles"]["S"] == "declared, answers"
    assert [s["profile"] for s in report["streams"]] == ["Profile_Main", "Profile_Sub"]
    problems = "\n".join(report["problems"])
    # Undeclared namespace prefixes in its GetPresets reply: named, not a crash.
    assert "PTZ presets: RemoteProtocolError" in problems and "not defined" in problems
    assert "no event service" in problems
    assert "[11/11] ports" in run.stderr
    assert PASSWORD not in run.stdout + run.stderr
