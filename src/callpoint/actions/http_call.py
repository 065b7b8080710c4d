"""The `http` action: call a URL (an intercom's relay endpoint, a VMS trigger...).

The action's `HttpPayload` (all optional; the URL defaults to the action's target):

- `url`: http or https only.
- `method`: GET, POST, PUT, PATCH or DELETE; POST by default.
- `body`: the request body. `${name}` placeholders are replaced by JSON-escaped values
  of the action (`action_id`, `event_id`, `incident_id`, `kind`, `target`, `priority`);
  any other `$` is left as written. Sent as JSON if it is JSON, else as plain text,
  unless a `Content-Type` header says otherwise. Without `body`, POST/PUT/PATCH send the
  action as a JSON object (its `params` are the method and timeout, never the headers).
- `headers`: (name, value) pairs, one request header each.
- `timeout_s`: seconds for the whole exchange (default 5, at most `MAX_TIMEOUT_S`).
- `expect_status`: `"2xx"` (default), one status, or a comma list (`"200,204"`).

A 5xx, 408 or 429, a timeout or a failed connection is worth a retry; any other answer
outside `expect_status` is a refusal and is not retried.
"""

from __future__ import annotations

import json
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import aiohttp
from yarl import URL

from callpoint.action_payloads import HttpPayload
from callpoint.model import Action, ActionKind, ActionOutcome

DEFAULT_TIMEOUT_S: Final = 5.0
MAX_TIMEOUT_S: Final = 60.0
# How much of an error response body is quoted in the outcome detail (characters).
MAX_DETAIL_BODY_CHARS: Final = 200
# Read at most this much of a response: we only quote it.
MAX_RESPONSE_BYTES: Final = 64 * 1024
METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES: Final = frozenset({408, 429})
JSON_TYPE: Final = "application/json"
TEXT_TYPE: Final = "text/plain; charset=utf-8"


class HttpParamError(ValueError):
    """The action's payload cannot make a request (our configuration, not the target)."""


def _json_fragment(value: str | int | None) -> str:
    """A value as it goes inside a JSON string literal (no surrounding quotes)."""
    return json.dumps("" if value is None else str(value))[1:-1]


def _fields(action: Action) -> dict[str, str | int | None]:
    """What a body may name of its action: in a template as ${name}, in the default body."""
    return {
        "action_id": action.id,
        "event_id": action.event_id,
        "incident_id": action.incident_id,
        "kind": action.kind.value,
        "target": action.target,
        "priority": action.priority,
    }


def _substitutions(action: Action) -> dict[str, str]:
    return {k: _json_fragment(v) for k, v in _fields(action).items()}


def _expected(spec: str) -> frozenset[int] | None:
    """Statuses accepted as success; None means any 2xx."""
    if spec.lower() == "2xx":
        return None
    try:
        return frozenset(int(s) for s in spec.split(","))
    except ValueError as exc:
        raise HttpParamError(f"bad expect_status {spec!r}") from exc


def _body(action: Action, payload: HttpPayload, method: str) -> tuple[bytes | None, str]:
    """The body and the content type it would be sent with by default."""
    template = payload.body
    if template is None:
        if method in ("GET", "DELETE"):
            return None, JSON_TYPE
        described: dict[str, object] = {
            **_fields(action),
            # What the planner's params held before typed payloads, so receivers read on.
            "params": {"method": payload.method, "timeout_s": payload.timeout_s},
        }
        return json.dumps(described).encode(), JSON_TYPE
    # safe_substitute: a `$` that is no placeholder of ours is text, not an error.
    text = string.Template(template).safe_substitute(_substitutions(action))
    try:
        json.loads(text)
    except ValueError:
        return text.encode(), TEXT_TYPE
    return text.encode(), JSON_TYPE


def _headers(pairs: tuple[tuple[str, str], ...], content_type: str) -> dict[str, str]:
    headers = {"Content-Type": content_type}
    for name, text in pairs:
        if not name or any(c in name + text for c in "\r\n\0"):
            raise HttpParamError(f"bad header {name!r}")
        if name.lower() == "content-type":
            headers.pop("Content-Type", None)  # the action's own choice wins
        headers[name] = text
    return headers


def _safe_url(url: URL) -> str:
    """The URL for logs and outcomes: no credentials, no query (it may carry a token)."""
    bare = url.with_query(None).with_fragment(None)
    # Relative or host-less URLs (file:///...) carry no credentials and refuse with_user.
    return str(bare.with_user(None) if url.host else bare)


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request, fully decided from an action's payload."""

    method: str
    url: URL
    headers: Mapping[str, str]
    body: bytes | None
    timeout: float
    expected: frozenset[int] | None

    @property
    def where(self) -> str:
        return f"{self.method} {_safe_url(self.url)}"


def request_for(action: Action) -> HttpRequest:
    """Decide the request for `action`; raises HttpParamError if its payload is unusable."""
    payload = action.payload
    if not isinstance(payload, HttpPayload):
        raise HttpParamError(f"a {action.kind.value} action is not an http call")
    try:
        url = URL(payload.url if payload.url is not None else action.target)
    except ValueError as exc:
        raise HttpParamError(str(exc)) from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise HttpParamError(f"only http and https URLs, not {_safe_url(url)!r}")
    timeout = payload.timeout_s
    method = payload.method.upper()
    if method not in METHODS:
        raise HttpParamError(f"method {method!r} not allowed")
    if not 0 < timeout <= MAX_TIMEOUT_S:
        raise HttpParamError(f"timeout {timeout} s outside (0, {MAX_TIMEOUT_S}]")
    body, content_type = _body(action, payload, method)
    return HttpRequest(
        method=method,
        url=url,
        headers=_headers(payload.headers, content_type),
        body=body,
        timeout=timeout,
        expected=_expected(payload.expect_status),
    )


class HttpCallExecutor:
    """Executes `http` actions with one shared aiohttp session."""

    kinds: frozenset[ActionKind] = frozenset({ActionKind.HTTP})

    def __init__(self, session: aiohttp.ClientSession | None = None) -> None:
        self._session = session
        self._owns_session = session is None

    async def close(self) -> None:
        """Close the session if this executor created it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def execute(self, action: Action) -> ActionOutcome:
        """One request; the outcome says what the target answered or why it did not."""
        try:
            req = request_for(action)
        except HttpParamError as exc:
            return ActionOutcome(ok=False, detail=f"bad http action: {exc}", retry=False)
        started = time.monotonic()
        try:
            async with self._client().request(
                req.method,
                req.url,
                data=req.body,
                headers=dict(req.headers),
                timeout=aiohttp.ClientTimeout(total=req.timeout),
                allow_redirects=False,  # a redirect could lead anywhere; answer as is
            ) as response:
                status = response.status
                content = await response.content.read(MAX_RESPONSE_BYTES)
        except TimeoutError:
            detail = f"{req.where}: no answer within {req.timeout:g} s"
            return ActionOutcome(ok=False, detail=detail, retry=True)
        except aiohttp.ClientError as exc:
            detail = f"{req.where}: {type(exc).__name__}: {exc}"
            return ActionOutcome(ok=False, detail=detail, retry=True)
        summary = f"{req.where} -> {status} in {(time.monotonic() - started) * 1000:.1f} ms"
        ok = 200 <= status < 300 if req.expected is None else status in req.expected
        if ok:
            return ActionOutcome(ok=True, detail=summary)
        snippet = content.decode("utf-8", "replace")[:MAX_DETAIL_BODY_CHARS].strip()
        detail = f"{summary}: {snippet}" if snippet else summary
        return ActionOutcome(
            ok=False, detail=detail, retry=status >= 500 or status in RETRY_STATUSES
        )


if TYPE_CHECKING:  # mypy proves HttpCallExecutor satisfies the Executor protocol
    from callpoint.actions.executor import Executor

    def _is_an_executor(e: HttpCallExecutor) -> Executor:
        return e
