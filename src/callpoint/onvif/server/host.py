"""aiohttp transport: one application serving many virtual devices.

A device is reached either on a port of its own (`http://127.0.0.1:<port>/onvif/...`,
what clients that hard-code `/onvif/device_service` need) or under a path prefix on a
shared port (`http://127.0.0.1:<port>/devices/<id>/onvif/...`). Both hand the request to
`endpoint.handle_soap`, which answers or faults and never raises for what a peer sent.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from aiohttp import web

from callpoint.httpguard import ConnectionBook, GuardedSockSite, guard_middleware
from callpoint.onvif.errors import NoSuchServiceFault
from callpoint.onvif.server.device import VirtualDevice
from callpoint.onvif.server.dispatch import Service
from callpoint.onvif.server.endpoint import (
    SoapExchange,
    SoapResponse,
    fault_response,
    handle_soap,
)
from callpoint.onvif.server.notify import NotifyDispatcher
from callpoint.onvif.server.runtime import DeviceRuntime, service_url
from callpoint.onvif.server.subscriptions import Subscription
from callpoint.onvif.server.throttle import AuthThrottle
from callpoint.onvif.xmlsafe import MAX_SOAP_BYTES

#: Longest close() waits for requests still in flight, in seconds.
SHUTDOWN_S = 5.0
#: Device ids become URL path segments and realm names: keep them plain.
_DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class HostedDevice:
    """Where a hosted device answers."""

    device_id: str
    base_url: str

    @property
    def device_service_url(self) -> str:
        """The XAddr of its device service (what a VMS is given)."""
        return service_url(self.base_url, Service.DEVICE.value)


class DeviceHost:
    """Serves many `VirtualDevice`s from one aiohttp application."""

    def __init__(
        self,
        bind: str = "127.0.0.1",
        book: ConnectionBook | None = None,
        *,
        throttle: AuthThrottle | None = None,
    ) -> None:
        self.bind = bind
        # Failed logins on any hosted device slow that peer's next guess on all of them.
        self.throttle = throttle if throttle is not None else AuthThrottle()
        # Every port of the host shares one book: connections counted per peer and in
        # total, requests timed, bodies bounded before any credential is checked.
        self.connections = book if book is not None else ConnectionBook()
        self._app = web.Application(
            client_max_size=MAX_SOAP_BYTES,
            middlewares=[guard_middleware(lambda _request: MAX_SOAP_BYTES)],
        )
        self._app.router.add_post("/onvif/subscription/{sub_id}", self._by_port)
        self._app.router.add_post("/onvif/{service}", self._by_port)
        self._app.router.add_post("/devices/{device_id}/onvif/subscription/{sub_id}", self._by_path)
        self._app.router.add_post("/devices/{device_id}/onvif/{service}", self._by_path)
        # Long polls are ended by close() before cleanup; the timeout only bounds stragglers.
        # handler_cancellation: a poller that hangs up cancels its PullMessages before it
        # takes messages off the queue, so they wait for the next pull instead of vanishing.
        self._runner = web.AppRunner(
            self._app, access_log=None, shutdown_timeout=SHUTDOWN_S, handler_cancellation=True
        )
        self._sites: dict[str, GuardedSockSite] = {}
        self._port_devices: dict[int, DeviceRuntime] = {}
        self._path_devices: dict[str, DeviceRuntime] = {}
        self._base_urls: dict[str, str] = {}
        self._shared_port: int | None = None
        self.notifier = NotifyDispatcher(self._base_urls)
        self._started = False

    async def start(self) -> None:
        """Prepare the application (idempotent)."""
        if not self._started:
            await self._runner.setup()
            self._started = True

    async def _listen(self, key: str, port: int) -> int:
        sock = socket.socket(socket.AF_INET6 if ":" in self.bind else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.bind, port))
        site = GuardedSockSite(self._runner, sock, self.connections)
        await site.start()
        self._sites[key] = site
        return int(sock.getsockname()[1])

    def _url_host(self, port: int) -> str:
        host = f"[{self.bind}]" if ":" in self.bind else self.bind
        return f"http://{host}:{port}"

    async def add(self, device: VirtualDevice, port: int | None = 0) -> HostedDevice:
        """Serve a device: on its own port (0 = any free one) or, with None, under a prefix."""
        await self.start()
        device_id = device.device_id
        if not _DEVICE_ID.match(device_id):
            raise ValueError(f"device id {device_id!r} is not [A-Za-z0-9._-], 1-64 long")
        if device_id in self._base_urls:
            raise ValueError(f"device {device_id!r} is already hosted")
        if port is None:
            if self._shared_port is None:
                self._shared_port = await self._listen("", 0)  # "" is never a device id
            runtime = DeviceRuntime(device, prefix=f"/devices/{device_id}")
            self._path_devices[device_id] = runtime
            base = self._url_host(self._shared_port) + runtime.prefix
        else:
            runtime = DeviceRuntime(device)
            real_port = await self._listen(device_id, port)
            self._port_devices[real_port] = runtime
            base = self._url_host(real_port)
        runtime.advertised_ip = self.bind
        runtime.throttle = self.throttle
        runtime.on_notify_subscription = self._start_notify
        self._base_urls[device_id] = base
        return HostedDevice(device_id, base)

    async def remove(self, device_id: str) -> None:
        """Stop serving a device: its listener (if it had its own port) and its timers."""
        self._base_urls.pop(device_id, None)
        runtime = self._path_devices.pop(device_id, None)
        for port, candidate in list(self._port_devices.items()):
            if candidate.device.device_id == device_id:
                runtime = self._port_devices.pop(port)
        site = self._sites.pop(device_id, None)
        if site is not None:
            await site.stop()
        if runtime is not None:
            _retire(runtime)

    def _start_notify(self, runtime: DeviceRuntime, sub: Subscription) -> None:
        self.notifier.start(runtime, sub)

    async def close(self) -> None:
        """Stop every listener, sender task and device timer."""
        for runtime in [*self._port_devices.values(), *self._path_devices.values()]:
            _retire(runtime)
        await self.notifier.close()
        if self._started:
            await self._runner.cleanup()
            self._started = False
        await self.connections.close()

    # request handling ------------------------------------------------------------------
    async def _by_port(self, request: web.Request) -> web.Response:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        runtime = self._port_devices.get(int(sockname[1])) if sockname else None
        if runtime is None:
            raise web.HTTPNotFound()
        return await self._serve(runtime, request)

    async def _by_path(self, request: web.Request) -> web.Response:
        runtime = self._path_devices.get(request.match_info["device_id"])
        if runtime is None:
            raise web.HTTPNotFound()
        return await self._serve(runtime, request)

    async def _serve(self, runtime: DeviceRuntime, request: web.Request) -> web.Response:
        sub_id = request.match_info.get("sub_id")
        try:
            service = Service.SUBSCRIPTION if sub_id else Service(request.match_info["service"])
        except ValueError:
            missing = NoSuchServiceFault(f"no service {request.match_info['service']!r}")
            return _web(fault_response(missing))
        exchange = SoapExchange(
            service=service,
            data=await request.read(),
            base_url=f"{request.scheme}://{request.host}{runtime.prefix}",
            method=request.method,
            path_qs=request.path_qs,
            headers=request.headers,
            subscription_id=sub_id,
            peer=request.remote or "",
        )
        return _web(await handle_soap(runtime, exchange))


def _web(response: SoapResponse) -> web.Response:
    return web.Response(
        status=response.status,
        body=response.body,
        headers=dict(response.headers),
        content_type="application/soap+xml",
        charset="utf-8",
    )


def _retire(runtime: DeviceRuntime) -> None:
    """End a device's subscriptions (waking long polls and Notify senders) and timers."""
    table = runtime.device.events.table
    for sub in list(table):
        table.unsubscribe(sub.sub_id)
        if sub.listener is not None:
            sub.listener()
    runtime.device.close()
