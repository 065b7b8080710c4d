"""`callpoint demo`: the example site with its simulated devices, end to end, as a user runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.sim.media.test_pipeline_check import without_pango_env
from tests.support.peers import GSTREAMER, has_peer, needs


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callpoint.cli", "demo", "--listen", "127.0.0.1:0", *args],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )


def test_demo_runs_the_full_chain_and_prints_its_urls() -> None:
    done = _demo("--duration", "8", "--control", "127.0.0.1:0")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"API +http://127\.0\.0\.1:\d+/api/v1/incidents", out)
    assert re.search(r"simulator +http://127\.0\.0\.1:\d+/", out)
    assert re.search(r"ONVIF bridge +EXPH-07 at http://127\.0\.0\.1:\d+/onvif/device_service", out)
    # The phones' presses went through the simulator's signed webhooks into incidents.
    assert re.search(r"off_hook +from EXPH-07: HTTP 202 incident [0-9a-f]{32}", out)
    assert re.search(r"sos +from EXPH-03: HTTP 202 incident [0-9a-f]{32}", out)
    # ... and the engine's SOS preset reached the simulated PTZ camera over ONVIF.
    assert re.search(r"preset +done +TANKFARM-EAST-PTZ-01", out)
    assert re.search(r"TANKFARM-EAST-PTZ-01 +shows PRESET 8 Tank row", out)
    assert "ONVIF bridge EXPH-07: inputs active off_hook" in out  # the bridge saw the press
    if has_peer(GSTREAMER):
        assert re.search(r"TANKFARM-EAST-PTZ-01 +rtsp://127\.0\.0\.1:\d+/cam/", out)
    assert out.rstrip().endswith("demo stopped; its temporary database is gone.")


def test_demo_without_the_simulator_sends_its_events_directly() -> None:
    done = _demo("--duration", "1", "--no-sim")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "simulator" not in done.stdout
    assert "sos       from EXPH-03: HTTP 202" in done.stdout


@needs(GSTREAMER)
def test_demo_without_the_pango_plugin_says_what_to_install(tmp_path: Path) -> None:
    args = ["--listen", "127.0.0.1:0", "--control", "127.0.0.1:0", "--duration", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "callpoint.cli", "demo", *args, "--no-events"],
        env=without_pango_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    warning = re.compile(
        r"WARNING: no camera video: camera [A-Z0-9-]+: GStreamer element 'textoverlay' is "
        r"missing \(Debian package gstreamer1\.0-x\)"
    )
    assert warning.search(done.stderr), done.stderr[-2000:]
    assert warning.search(done.stdout)  # again at the end, next to "Ctrl-C to stop."
    assert "rtsp://" not in done.stdout
