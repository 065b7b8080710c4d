"""Runs one discovery role inside a network namespace; JSON lines on stdout.

    python -m tests.onvif.discovery.ns_agent respond --address A --epr E --name N
    python -m tests.onvif.discovery.ns_agent probe --address A[,B...|default] [--timeout S]
    python -m tests.onvif.discovery.ns_agent interfaces --address -
    python -m tests.onvif.discovery.ns_agent listen --address A --count N [--timeout S]
    python -m tests.onvif.discovery.ns_agent ipycam --address A --name N

Long-running roles print {"ready": true} once bound and stop when stdin closes. `--dump
DIR` (probe, listen) also writes each datagram received, for fixtures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from callpoint.onvif import discovery as wsd


def emit(value: object) -> None:
    print(json.dumps(value), flush=True)


def endpoint_json(endpoint: wsd.Endpoint) -> dict[str, object]:
    return {
        "address": endpoint.address,
        "types": list(endpoint.types),
        "scopes": list(endpoint.scopes),
        "xaddrs": list(endpoint.xaddrs),
        "metadata_version": endpoint.metadata_version,
    }


async def wait_stdin_closed() -> None:
    await asyncio.to_thread(sys.stdin.buffer.read)


async def respond(args: argparse.Namespace) -> None:
    endpoint = wsd.Endpoint(
        args.epr,
        (wsd.NETWORK_VIDEO_TRANSMITTER, wsd.DEVICE),
        (f"onvif://www.onvif.org/name/{args.name}", "onvif://www.onvif.org/Profile/Streaming"),
        (f"http://{args.address}:8080/onvif/device_service",),
    )
    responder = wsd.DiscoveryResponder(
        endpoint, host="0.0.0.0", multicast=True, interface=args.address
    )
    async with responder:
        emit({"ready": True})
        await wait_stdin_closed()
    emit({"stopped": True})


def dump(directory: str | None, index: int, data: bytes) -> None:
    if directory:
        (Path(directory) / f"datagram-{index:02d}.xml").write_bytes(data)


async def probe(args: argparse.Namespace) -> None:
    if args.dump:  # raw capture: send the probe, keep every datagram
        from callpoint.onvif.discovery.udp import open_endpoint

        endpoint = await open_endpoint("0.0.0.0", 0, multicast=True, interface=args.address)
        message = wsd.Probe()
        endpoint.send(wsd.encode(message), (wsd.MULTICAST_ADDRESS, wsd.DISCOVERY_PORT))
        index = 0
        try:
            while True:
                data, _ = await asyncio.wait_for(endpoint.queue.get(), args.timeout)
                dump(args.dump, index, data)
                index += 1
        except TimeoutError:
            pass
        return
    interfaces = [a for a in args.address.split(",") if a and a != "default"]
    found = await wsd.probe(multicast=True, interfaces=interfaces, timeout_s=args.timeout)
    emit([{"source": list(d.source), **endpoint_json(d.endpoint)} for d in found])


async def listen(args: argparse.Namespace) -> None:
    listener = wsd.HelloByeListener(host="0.0.0.0", multicast=True, interface=args.address)
    async with listener:
        emit({"ready": True})
        assert listener._endpoint is not None
        queue = listener._endpoint.queue
        seen = 0
        index = 0
        while seen < args.count:
            data, source = await asyncio.wait_for(queue.get(), args.timeout)
            dump(args.dump, index, data)
            index += 1
            announcement = listener.tracker.feed(data, source)
            if announcement is not None:
                seen += 1
                emit(
                    {
                        "joined": announcement.joined,
                        "source": list(announcement.source),
                        **endpoint_json(announcement.endpoint),
                    }
                )


async def ipycam(args: argparse.Namespace) -> None:
    from ipycam.config import CameraConfig  # type: ignore[import-untyped]  # ships no types
    from ipycam.discovery import WSDiscoveryServer  # type: ignore[import-untyped]  # ships no types
    from ipycam.onvif import ONVIFService  # type: ignore[import-untyped]  # ships no types

    config = CameraConfig(name=args.name, local_ip=args.address)
    server = WSDiscoveryServer(ONVIFService(config))
    server.start()
    emit({"ready": True, "epr": server.onvif.device_uuid})
    await wait_stdin_closed()
    server.stop()
    server.join(timeout=5)
    emit({"stopped": True})


async def interfaces(args: argparse.Namespace) -> None:
    from callpoint.onvif.discovery.udp import ipv4_interfaces

    emit([list(pair) for pair in ipv4_interfaces()])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["respond", "probe", "listen", "ipycam", "interfaces"])
    parser.add_argument("--address", required=True)
    parser.add_argument("--epr", default="urn:uuid:00000000-0000-4000-8000-000000000001")
    parser.add_argument("--name", default="Gate")
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--dump")
    args = parser.parse_args()
    roles = {
        "respond": respond,
        "probe": probe,
        "listen": listen,
        "ipycam": ipycam,
        "interfaces": interfaces,
    }
    asyncio.run(roles[args.role](args))


if __name__ == "__main__":
    main()
