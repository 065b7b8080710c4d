"""A camera whose pipeline cannot be built is refused, naming the element and its package.

Without the Pango plugin (Debian's gstreamer1.0-x, once left out as a mere recommendation)
every mount used to answer DESCRIBE with 503 and nothing said why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from callpoint.sim.media import MediaServer, MediaServerError, pipeline
from tests.conftest import API_TOKEN, EXAMPLE_SITE, ROOT, WEBHOOK_SECRET
from tests.support.peers import GSTREAMER, needs

INSTALL_PEERS = ROOT / "scripts" / "install-peers.sh"


def _shell_array(name: str) -> list[str]:
    """The words of `name=( ... )` in install-peers.sh (one line or many), comments dropped."""
    lines = iter(INSTALL_PEERS.read_text().splitlines())
    for line in lines:
        if line.startswith(f"{name}=("):
            break
    else:
        raise AssertionError(f"no {name}=( in {INSTALL_PEERS}")
    first = line.removeprefix(f"{name}=(")
    if first.endswith(")"):
        return first[:-1].split()
    words = first.split("#")[0].split()
    for line in lines:
        if line == ")":
            return words
        words += line.split("#")[0].split()
    raise AssertionError(f"{name}=( is not closed")


def test_every_element_has_a_package_that_install_peers_installs_and_checks() -> None:
    names = pipeline.element_names(pipeline.rtsp_launch())
    names += pipeline.element_names(pipeline.snapshot_launch())
    assert set(names) == set(pipeline.ELEMENT_PACKAGES)
    assert set(_shell_array("elements")) == set(names)
    assert set(pipeline.ELEMENT_PACKAGES.values()) <= set(_shell_array("demo"))


def test_element_names_reads_bins_and_caps() -> None:
    launch = "( videotestsrc name=a ! video/x-raw,width=8 ! x264enc ! video/x-h264 ! fakesink )"
    assert pipeline.element_names(launch) == ["videotestsrc", "capsfilter", "x264enc", "fakesink"]
    assert pipeline.missing_element_message("x264enc") == (
        "GStreamer element 'x264enc' is missing (Debian package gstreamer1.0-plugins-ugly)"
    )
    assert pipeline.missing_element_message("nosuch") == "GStreamer element 'nosuch' is missing"


@needs(GSTREAMER)
def test_check_launch_names_a_missing_element_and_a_refused_property() -> None:
    from callpoint.sim.media.gsthost import PipelineError, check_launch

    check_launch(pipeline.rtsp_launch())
    check_launch(pipeline.snapshot_launch())
    with pytest.raises(PipelineError, match=r"GStreamer element 'nosuchelement' is missing$"):
        check_launch("videotestsrc ! nosuchelement ! fakesink")
    with pytest.raises(PipelineError, match="cannot be built"):
        check_launch("videotestsrc no-such-property=1 ! fakesink")


def without_pango_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose GStreamer lacks the Pango plugin, as a fresh machine's did."""
    from gi.repository import Gst

    pango = Gst.Registry.get().find_plugin("pango")
    assert pango is not None, "this machine's GStreamer has no Pango plugin to hide"
    pango_file = Path(str(pango.get_filename()))
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    for plugin in pango_file.parent.glob("*.so"):
        if plugin != pango_file:
            (plugins / plugin.name).symlink_to(plugin)
    return dict(
        os.environ,
        GST_PLUGIN_SYSTEM_PATH_1_0=str(plugins),
        GST_REGISTRY_1_0=str(tmp_path / "registry.bin"),  # never the user's registry
        CALLPOINT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        CALLPOINT_API_TOKEN=API_TOKEN,
    )


@needs(GSTREAMER)
def test_simulate_refuses_to_start_without_textoverlay(tmp_path: Path) -> None:
    args = ["simulate", "--config", str(EXAMPLE_SITE), "--json", "--no-webhooks"]
    done = subprocess.run(
        [sys.executable, "-m", "callpoint.cli", *args, "--control", "127.0.0.1:0"],
        env=without_pango_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert '"ready"' not in done.stdout  # no camera was served half-built
    assert re.search(
        r"simulator not started: camera [A-Z0-9-]+: GStreamer element 'textoverlay' is "
        r"missing \(Debian package gstreamer1\.0-x\)",
        done.stderr,
    ), done.stderr


@pytest.mark.asyncio
async def test_a_child_without_pygobject_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A `gi` that cannot be imported, first on the child's path: as on a machine without it.
    (tmp_path / "gi").mkdir()
    (tmp_path / "gi" / "__init__.py").write_text("raise ImportError('no gi here')\n")
    path = os.pathsep.join([str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])])
    monkeypatch.setenv("PYTHONPATH", path)
    media = MediaServer()
    with pytest.raises(MediaServerError, match=r"\(no gi here\): needs PyGObject<3\.51"):
        await media.start()
    assert media.pid is None  # the child is reaped
