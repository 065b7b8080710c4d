"""The simulator's control page and JSON API, on loopback (a commissioning tool, no auth).

- `GET /`                    the page: every device, its state and a button per event
- `GET /api/devices`         every device's line and state
- `POST /api/press`          `{"device": ID, "event": TYPE, "input": N?}` -> what happened
- `GET /api/vms/{id}`        what a VMS receiver was sent
- `GET /api/io/{id}`         an I/O module's inputs, coils and coil writes
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from aiohttp import web

from callpoint.sim.base import PressError
from callpoint.sim.modbus import IoModuleSim

if TYPE_CHECKING:
    from callpoint.sim.simulator import Simulator

#: A press request is a device id, an event type and a number.
MAX_PRESS_BODY_BYTES = 4096

_SCRIPT = """
async function press(device, event) {
  const input = document.getElementById('input-' + device);
  const body = {device, event};
  if (input) body.input = Number(input.value);
  const resp = await fetch('api/press', {method: 'POST', body: JSON.stringify(body)});
  document.getElementById('out').textContent = JSON.stringify(await resp.json());
  setTimeout(() => location.reload(), 1200);
}
"""


class ControlPage:
    """The aiohttp application of the control page."""

    def __init__(self, sim: Simulator, bind: str, port: int) -> None:
        self._sim = sim
        self._bind, self._port = bind, port
        app = web.Application(client_max_size=MAX_PRESS_BODY_BYTES)
        app.add_routes(
            [
                web.get("/", self._page),
                web.get("/api/devices", self._devices),
                web.post("/api/press", self._press),
                web.get("/api/vms/{id}", self._vms),
                web.get("/api/io/{id}", self._io),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        self.url = ""

    async def start(self) -> None:
        """Bind and serve."""
        await self._runner.setup()
        await web.TCPSite(self._runner, self._bind, self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/"

    async def close(self) -> None:
        """Stop serving."""
        await self._runner.cleanup()

    async def _devices(self, request: web.Request) -> web.Response:
        devices = [{**d.line().to_json(), "state": d.state()} for d in self._sim.devices.values()]
        return web.json_response({"devices": devices})

    async def _press(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except (UnicodeDecodeError, json.JSONDecodeError):
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "body is not a JSON object"}, status=400)
        device, event, channel = body.get("device"), body.get("event"), body.get("input")
        if not isinstance(device, str) or not isinstance(event, str):
            return web.json_response({"error": "device and event are strings"}, status=400)
        if channel is not None and (not isinstance(channel, int) or isinstance(channel, bool)):
            return web.json_response({"error": "input is a number"}, status=400)
        try:
            result = await self._sim.press(device, event, channel)
        except PressError as exc:
            status = 404 if device not in self._sim.devices else 400
            return web.json_response({"error": str(exc)}, status=status)
        out: dict[str, object] = {"device": result.device_id, "event": result.event.value}
        if result.delivery is not None and self._sim.webhooks.url is not None:
            out["callpoint_status"] = result.delivery.status
            out["incident_id"] = result.delivery.incident_id
            out["detail"] = result.delivery.detail
        return web.json_response(out)

    async def _vms(self, request: web.Request) -> web.Response:
        try:
            receiver = self._sim.receiver(request.match_info["id"])
        except PressError as exc:
            return web.json_response({"error": str(exc)}, status=404)
        calls = [
            {"at": c.received_at.isoformat(), "payload": c.payload, "fields": c.fields}
            for c in receiver.calls
        ]
        return web.json_response({"id": receiver.plan.device_id, "calls": calls})

    async def _io(self, request: web.Request) -> web.Response:
        device = self._sim.devices.get(request.match_info["id"])
        if not isinstance(device, IoModuleSim):
            return web.json_response({"error": "no such I/O module"}, status=404)
        writes = [{"address": w.address, "values": list(w.values)} for w in device.coil_writes]
        return web.json_response(
            {
                "id": device.plan.device_id,
                "modbus": device.address,
                "inputs": await device.inputs(),
                "coils": await device.coils(),
                "coil_writes": writes,
            }
        )

    async def _page(self, request: web.Request) -> web.Response:
        rows = []
        for dev in self._sim.devices.values():
            line = dev.line()
            links = [
                f'<a href="{html.escape(u)}">{name}</a>'
                for name, u in (
                    ("onvif", line.onvif),
                    ("rtsp", line.rtsp),
                    ("snapshot", line.snapshot),
                )
                if u
            ]
            where = " ".join(links) or html.escape(line.modbus or line.url or "")
            buttons = " ".join(
                f"<button onclick=\"press('{html.escape(line.id)}', '{e}')\">{e}</button>"
                for e in line.events
            )
            if isinstance(dev, IoModuleSim):
                buttons += f' input <input id="input-{html.escape(line.id)}" value="0" size="2">'
            state = ", ".join(f"{k}={v}" for k, v in dev.state().items())
            rows.append(
                f"<tr><td>{html.escape(line.id)}</td><td>{line.kind.value}</td>"
                f"<td>{html.escape(line.location or '')}</td><td>{where}</td>"
                f"<td>{html.escape(state)}</td><td>{buttons}</td></tr>"
            )
        creds = html.escape(f"{self._sim.options.username} / {self._sim.password}")
        page = (
            "<!doctype html><html><head><meta charset=utf-8><title>callpoint simulator</title>"
            f"<script>{_SCRIPT}</script></head><body><h1>callpoint simulator: "
            f"{html.escape(self._sim.config.site.name)}</h1>"
            f"<p>ONVIF and RTSP credentials: {creds}. Webhooks to: "
            f"{html.escape(self._sim.webhooks.url or 'nowhere')}</p>"
            "<table border=1 cellpadding=4><tr><th>id</th><th>kind</th><th>location</th>"
            "<th>where</th><th>state</th><th>press</th></tr>"
            + "".join(rows)
            + "</table><pre id=out></pre></body></html>"
        )
        return web.Response(text=page, content_type="text/html")
