"""Two network namespaces joined by a veth pair, for multicast tests off the host network.

Everything lives inside namespaces the test creates: addresses 10.231.N.1/24 and
10.231.N.2/24 exist only there, and each namespace routes 224.0.0.0/4 to its veth end.
Deleting the namespaces removes the veth pair with them.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@dataclass(frozen=True)
class Side:
    """One namespace: its name and the IPv4 address of its veth end."""

    ns: str
    address: str

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        """Start `python -m tests.onvif.discovery.ns_agent ARGS` inside this namespace."""
        agent = [sys.executable, "-m", "tests.onvif.discovery.ns_agent", *args]
        return subprocess.Popen(
            ["ip", "netns", "exec", self.ns, *agent],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


def netns_unavailable() -> str:
    """Why namespaces cannot be made here, or ""."""
    name = f"cpmchk{secrets.token_hex(3)}"
    try:
        _ip("netns", "add", name)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return f"ip netns not permitted here: {exc} {detail.decode(errors='replace').strip()}"
    _ip("netns", "del", name)
    return ""


@contextmanager
def veth_pair() -> Iterator[tuple[Side, Side]]:
    """Create the two namespaces; delete them afterwards whatever happened."""
    tag = secrets.token_hex(3)
    subnet = secrets.randbelow(250) + 1
    names = (f"cpm{tag}a", f"cpm{tag}b")
    links = (f"cpv{tag}a", f"cpv{tag}b")
    created: list[str] = []
    try:
        for name in names:
            _ip("netns", "add", name)
            created.append(name)
            _ip("-n", name, "link", "set", "lo", "up")
        # Create the pair directly inside the first namespace, then move one end: the
        # host's own namespace never holds either end.
        _ip("-n", names[0], "link", "add", links[0], "type", "veth", "peer", "name", links[1])
        _ip("-n", names[0], "link", "set", links[1], "netns", names[1])
        sides = []
        for index, (name, link) in enumerate(zip(names, links, strict=True)):
            address = f"10.231.{subnet}.{index + 1}"
            _ip("-n", name, "addr", "add", f"{address}/24", "dev", link)
            _ip("-n", name, "link", "set", link, "up", "multicast", "on")
            _ip("-n", name, "route", "add", "224.0.0.0/4", "dev", link)
            sides.append(Side(name, address))
        yield sides[0], sides[1]
    finally:
        for name in created:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


_UNAVAILABLE = netns_unavailable()
requires_netns = pytest.mark.skipif(bool(_UNAVAILABLE), reason=_UNAVAILABLE)
