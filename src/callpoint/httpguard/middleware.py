"""Per-route body limits and a budget for bodies in flight, as one aiohttp middleware.

Before any handler (and so before any credential check) the body is read whole, up to
the route's limit (`limit_for`): a login takes a few KiB, an event post
`webhook.max_body_bytes`, a SOAP request MAX_SOAP_BYTES. A declared length past the
limit is refused at once (413) without reading; a chunked body is cut off one byte past
it. The bodies being read at once may hold BODY_BUDGET_BYTES between them (a declared
length counts in full, a chunked one as its route's limit); past it the request is
answered 503 at once. A peer that sends slowly is cut off at the request deadline
(`GuardedConnection`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from callpoint.httpguard.guard import GuardedConnection
from callpoint.jsonfast import dumps_bytes

# Bodies being read at once, over every route of one server: the memory an unauthenticated
# crowd can make the server hold. A few MiB of SOAP at once is plenty; devices' event
# posts are read by the device front, outside this budget.
BODY_BUDGET_BYTES = 32 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BodyBudget:
    """Bytes of request bodies the server may be reading at once."""

    def __init__(self, total: int = BODY_BUDGET_BYTES) -> None:
        self.total = total
        self.in_use = 0

    def take(self, size: int) -> bool:
        if self.in_use + size > self.total:
            return False
        self.in_use += size
        return True

    def give(self, size: int) -> None:
        self.in_use -= size


Refused = Callable[[web.Request, int, str, str], None]  # request, status, error, detail


def _refusal(status: int, error: str, detail: str) -> web.Response:
    body = dumps_bytes({"error": error, "detail": detail})
    response = web.Response(status=status, body=body, content_type="application/json")
    response.force_close()  # do not read (and wait for) the rest of a refused body
    return response


def guard_of(request: web.Request) -> GuardedConnection | None:
    transport = request.transport
    protocol = transport.get_protocol() if transport is not None else None
    return protocol if isinstance(protocol, GuardedConnection) else None


def guard_middleware(
    limit_for: Callable[[web.Request], int],
    budget: BodyBudget | None = None,
    refused: Refused | None = None,
) -> Middleware:
    """The middleware (first in the list): body limits, the budget, the request phases.

    `refused` is told of every refusal (to count it).
    """
    shared = budget if budget is not None else BodyBudget()

    def refuse(request: web.Request, status: int, error: str, detail: str) -> web.Response:
        if refused is not None:
            refused(request, status, error, detail)
        return _refusal(status, error, detail)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        conn = guard_of(request)
        if conn is not None:
            conn.request_begun()
        try:
            if request.body_exists:
                limit = limit_for(request)
                length = request.content_length
                if length is not None and length > limit:
                    return refuse(request, 413, "body too large", f"more than {limit} bytes")
                size = length if length is not None else limit
                if not shared.take(size):
                    return refuse(request, 503, "busy", "too many request bodies are being read")
                try:
                    request = request.clone(client_max_size=limit + 1)  # read() refuses >=
                    await request.read()  # kept by the request for the handler
                except web.HTTPRequestEntityTooLarge:
                    return refuse(request, 413, "body too large", f"more than {limit} bytes")
                finally:
                    shared.give(size)
            if conn is not None:
                conn.answering()
            return await handler(request)
        finally:
            if conn is not None:
                conn.answered()

    return guard
