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

from tests.support.peers import NETNS, needs


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


@contextmanager
def star(leaves: int) -> Iterator[tuple[list[Side], list[Side]]]:
    """A hub namespace linked to `leaves` namespaces, each link its own /24 subnet.

    Yields (hub ends, leaf ends): hub end i and leaf end i share link i. Namespaces (and
    their veth pairs with them) are deleted afterwards whatever happened.
    """
    tag = secrets.token_hex(3)
    first_subnet = secrets.randbelow(240) + 1
    hub = f"cpm{tag}h"
    created: list[str] = []
    try:
        for name in [hub] + [f"cpm{tag}{i}" for i in range(leaves)]:
            _ip("netns", "add", name)
            created.append(name)
            _ip("-n", name, "link", "set", "lo", "up")
        hub_ends, leaf_ends = [], []
        for i in range(leaves):
            leaf = created[i + 1]
            hub_link, leaf_link = f"cpv{tag}h{i}", f"cpv{tag}l{i}"
            # Made inside the hub and moved: the host's namespace never holds either end.
            _ip("-n", hub, "link", "add", hub_link, "type", "veth", "peer", "name", leaf_link)
            _ip("-n", hub, "link", "set", leaf_link, "netns", leaf)
            subnet = f"10.231.{first_subnet + i}"
            for ns, link, host in ((hub, hub_link, 1), (leaf, leaf_link, 2)):
                _ip("-n", ns, "addr", "add", f"{subnet}.{host}/24", "dev", link)
                _ip("-n", ns, "link", "set", link, "up", "multicast", "on")
                if ns == leaf or i == 0:  # the hub's default multicast route: link 0
                    _ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", link)
            hub_ends.append(Side(hub, f"{subnet}.1"))
            leaf_ends.append(Side(leaf, f"{subnet}.2"))
        yield hub_ends, leaf_ends
    finally:
        for name in created:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


@contextmanager
def veth_pair() -> Iterator[tuple[Side, Side]]:
    """Two namespaces joined by one veth pair."""
    with star(1) as ([a], [b]):
        yield a, b


requires_netns = needs(NETNS)
