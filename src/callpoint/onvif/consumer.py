"""The Notify endpoint for base-notification subscriptions (WS-BaseNotification 4.2).

A device subscribed with :func:`callpoint.onvif.events.subscribe` POSTs ``wsnt:Notify``
to this endpoint. The handler parses with the hardened parser, hands the messages to an
async callback, and answers 200 with an empty body only after the callback returned (so a
slow or failing consumer is visible to the device as an error, never a silent drop).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from callpoint.codecs.soap import build_fault, parse_envelope
from callpoint.httpguard.body import read_bounded
from callpoint.onvif.errors import RemoteProtocolError, WellFormedFault
from callpoint.onvif.events import parse_notify
from callpoint.onvif.notification import NotificationMessage
from callpoint.onvif.xmlsafe import MAX_SOAP_BYTES

log = logging.getLogger(__name__)

NotifyCallback = Callable[[str, tuple[NotificationMessage, ...]], Awaitable[None]]
"""Called with the endpoint's key (the last path segment) and the messages."""

_SOAP = "application/soap+xml"


def notify_handler(callback: NotifyCallback) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler for ``POST .../{key}``; mount it where devices can reach it."""

    bad = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal bad
        key = request.match_info.get("key", "")
        if request.content_length is not None and request.content_length > MAX_SOAP_BYTES:
            refused = web.Response(status=413)
            refused.force_close()  # do not drain (and wait for) the oversize body
            return refused
        data = await read_bounded(request.content, MAX_SOAP_BYTES + 1)
        try:
            # parse_envelope refuses anything past MAX_SOAP_BYTES.
            messages = parse_notify(parse_envelope(data).body)
        except RemoteProtocolError as exc:
            bad += 1
            # A flood of bad input is logged at 1, 2, 4, 8... and counted in between.
            if bad & (bad - 1) == 0:
                log.warning("bad Notify #%d on %s from %s: %s", bad, key, request.remote, exc)
            fault = WellFormedFault(str(exc))
            return web.Response(status=400, body=build_fault(fault), content_type=_SOAP)
        await callback(key, messages)
        return web.Response(status=200)

    return handle


def notify_app(callback: NotifyCallback, path: str = "/onvif/notify") -> web.Application:
    """A small application serving ``POST {path}/{key}``."""
    app = web.Application(client_max_size=MAX_SOAP_BYTES + 1)
    app.router.add_post(path + "/{key}", notify_handler(callback))
    return app
