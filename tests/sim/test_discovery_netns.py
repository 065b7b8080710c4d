"""`callpoint simulate --discovery`, only inside two network namespaces this test makes.

Namespace B runs the simulator on its veth address; namespace A probes by multicast and
listens for Hello/Bye. Nothing reaches the host's network. Without --discovery, or with
a loopback --bind, nothing is announced at all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

from tests.conftest import API_TOKEN, EXAMPLE_SITE, WEBHOOK_SECRET
from tests.onvif.discovery.netns import requires_netns, veth_pair
from tests.onvif.discovery.test_multicast_netns import finish, line

ONVIF_DEVICES = {"GATE-INTERCOM-01", "TANKFARM-EAST-PTZ-01", "TANKFARM-EAST-FIX-02"}
ONVIF_DEVICES |= {"TANKFARM-EAST-FIX-05", "MAIN-GATE-PTZ-03"}
ENV = dict(os.environ, CALLPOINT_WEBHOOK_SECRET=WEBHOOK_SECRET, CALLPOINT_API_TOKEN=API_TOKEN)


def _simulate(*args: str) -> list[str]:
    return [sys.executable, "-m", "callpoint.cli", "simulate", "--config", str(EXAMPLE_SITE),
            "--json", "--no-webhooks", "--no-media", *args]  # fmt: skip


@requires_netns
def test_every_onvif_device_is_found_by_a_multicast_probe() -> None:
    with veth_pair() as (a, b):
        processes: list[subprocess.Popen[bytes]] = []
        try:
            listener = a.popen("listen", "--address", a.address, "--count", "10", "--timeout", "40")
            processes.append(listener)
            assert line(listener) == {"ready": True}
            sim = subprocess.Popen(
                ["ip", "netns", "exec", b.ns,
                 *_simulate("--discovery", "--bind", b.address, "--control", f"{b.address}:0")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
            )  # fmt: skip
            processes.append(sim)
            lines: list[Any] = []
            while not (lines and lines[-1].get("ready")):
                lines.append(line(sim))
            urls = {x["id"]: x["onvif"] for x in lines if "onvif" in x}
            assert set(urls) == ONVIF_DEVICES
            assert all(u.startswith(f"http://{b.address}:") for u in urls.values())

            prober = a.popen("probe", "--address", a.address, "--timeout", "3")
            processes.append(prober)
            [found] = finish(prober)
            assert sorted(x for d in found for x in d["xaddrs"]) == sorted(urls.values())
            assert {d["source"][0] for d in found} == {b.address}
            names = {s for d in found for s in d["scopes"] if "/name/" in s}
            assert names == {f"onvif://www.onvif.org/name/{i}" for i in ONVIF_DEVICES}

            sim.send_signal(signal.SIGTERM)
            assert sim.wait(timeout=20) == 0
            announcements = finish(listener, timeout=40)
            hello = [x for x in announcements if x["joined"]]
            bye = [x for x in announcements if not x["joined"]]
            assert len(hello) == len(bye) == 5
            assert {x["address"] for x in hello} == {d["address"] for d in found}
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()


def test_discovery_on_loopback_is_refused() -> None:
    done = subprocess.run(
        _simulate("--discovery", "--control", "127.0.0.1:0", "--duration", "1"),
        capture_output=True, text=True, timeout=30, env=ENV, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--discovery needs the address of one interface" in done.stderr
    assert json.dumps({"ready": True})[:8] not in done.stdout
