"""Multicast discovery, only inside two network namespaces this test creates.

Namespace A holds our prober and Hello/Bye listener, namespace B the device: our own
responder, then ipycam (a virtual ONVIF camera we did not write). Nothing is sent on the
host's network: every socket lives in A or B, whose only link is their veth pair.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.onvif.discovery.netns import Side, requires_netns, star, veth_pair
from tests.support.peers import IPYCAM, require_peer

pytestmark = requires_netns
EPR = "urn:uuid:7e57ca11-0000-4000-8000-0000000000b1"


def line(process: subprocess.Popen[bytes]) -> Any:
    assert process.stdout is not None
    text = process.stdout.readline()
    if not text:
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise AssertionError(f"agent ended early: {stderr[-2000:]}")
    return json.loads(text)


def finish(process: subprocess.Popen[bytes], timeout: float = 20) -> list[Any]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return [json.loads(text) for text in out.splitlines()]


@pytest.fixture
def sides() -> Iterator[tuple[Side, Side]]:
    with veth_pair() as pair:
        yield pair


def run_scenario(a: Side, b: Side, device: list[str]) -> tuple[list[Any], list[Any], str]:
    """Listener up in A, device up in B, multicast probe from A, device down."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        listener = a.popen("listen", "--address", a.address, "--count", "2", "--timeout", "20")
        processes.append(listener)
        assert line(listener) == {"ready": True}
        camera = b.popen(*device)
        processes.append(camera)
        started = line(camera)
        assert isinstance(started, dict) and started["ready"]
        epr = str(started.get("epr", EPR))
        prober = a.popen("probe", "--address", a.address, "--timeout", "2")
        processes.append(prober)
        [found] = finish(prober)
        assert finish(camera) == [{"stopped": True}]  # communicate() closes its stdin: stop
        announcements = finish(listener)
        assert isinstance(found, list)
        return found, announcements, epr
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_multicast_probe_and_announcements_with_our_responder(sides: tuple[Side, Side]) -> None:
    a, b = sides
    device = ["respond", "--address", b.address, "--epr", EPR, "--name", "Gate"]
    found, announcements, epr = run_scenario(a, b, device)
    assert [(d["address"], d["source"][0]) for d in found] == [(epr, b.address)]
    assert found[0]["xaddrs"] == [f"http://{b.address}:8080/onvif/device_service"]
    joined = [(x["joined"], x["address"], x["source"][0]) for x in announcements]
    assert joined == [(True, epr, b.address), (False, epr, b.address)]


def test_ipycam_is_found_by_multicast_and_heard_coming_and_going(sides: tuple[Side, Side]) -> None:
    require_peer(IPYCAM)
    a, b = sides
    found, announcements, epr = run_scenario(
        a, b, ["ipycam", "--address", b.address, "--name", "ipycam-gate"]
    )
    [device] = found
    assert device["address"] == epr
    assert device["xaddrs"] == [f"http://{b.address}:8080/onvif/device_service"]
    assert "onvif://www.onvif.org/name/ipycam-gate" in device["scopes"]
    assert [x["joined"] for x in announcements] == [True, False]


def test_namespaces_are_gone_afterwards() -> None:
    with veth_pair() as (a, b):
        names = (a.ns, b.ns)
    listed = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert not any(name in listed for name in names)


def test_probe_searches_every_interface_it_is_given() -> None:
    # A server with a leg in two camera networks (think VLANs): multicast does not cross
    # from one to the other, so the probe must go out on each.
    with star(2) as (hub, leaves):
        devices: list[subprocess.Popen[bytes]] = []
        try:
            for index, leaf in enumerate(leaves):
                epr = f"urn:uuid:7e57ca11-0000-4000-8000-00000000000{index}"
                device = leaf.popen("respond", "--address", leaf.address, "--epr", epr)
                devices.append(device)
                assert line(device) == {"ready": True}

            def probe(addresses: str) -> set[str]:
                found = finish(hub[0].popen("probe", "--address", addresses, "--timeout", "1.5"))
                return {d["source"][0] for d in found[0]}

            both = probe(f"{hub[0].address},{hub[1].address}")
            only_second = probe(hub[1].address)
            by_route = probe("default")
            listed = finish(hub[0].popen("interfaces", "--address", "-"))[0]
            for device in devices:
                assert finish(device) == [{"stopped": True}]
        finally:
            for device in devices:
                if device.poll() is None:
                    device.kill()
                    device.wait()
    assert both == {leaves[0].address, leaves[1].address}
    assert only_second == {leaves[1].address}
    assert by_route == {leaves[0].address}  # the kernel's multicast route: link 0 only
    assert sorted(address for _, address in listed) == sorted(h.address for h in hub)
