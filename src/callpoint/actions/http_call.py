"""The `http` action: call a URL (an intercom's relay endpoint, a VMS trigger...).

Action params (all optional except a URL, which defaults to the action's target):

- `url`: http or https only.
- `method`: GET, POST, PUT, PATCH or DELETE; POST by default.
- `body`: the request body. `${name}` placeholders are replaced by JSON-escaped values
  of the action (`action_id`, `event_id`, `incident_id`, `kind`, `target`, `priority`)
  and of its other params; any other `$` is left as written. Sent as JSON if it is JSON,
  else as plain text, unless a `header.Content-Type` says otherwise. Without `body`,
  POST/PUT/PATCH send the action as a JSON object.
- `header.<Name>`: one request header each.
- `timeout_s` (or `timeout`): seconds for the whole exchange (default 5, at most
  `MAX_TIMEOUT_S`).
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

from callpoint.model import Action, ActionKind, ActionOutcome, AttrValue

DEFAULT_TIMEOUT_S: Final = 5.0
MAX_TIMEOUT_S: Final = 60.0
# How much of an error response body is quoted in the outcome detail (characters).
MAX_DETAIL_BODY_CHARS: Final = 200
# Read at most this much of a response: we only quote it.
MAX_RESPONSE_BYTES: Final = 64 * 1024
METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES: Final = frozenset({408, 429})
_HEADER_PREFIX: Final = "header."
_RESERVED: Final = frozenset({"url", "method", "body", "timeout", "timeout_s", "expect_status"})
JSON_TYPE: Final = "application/json"
TEXT_TYPE: Final = "text/plain; charset=utf-8"


class HttpParamError(ValueError):
    """The action's params cannot make a request (our configuration, not the target)."""


def _json_fragment(value: AttrValue | None) -> str:
    """A value as it goes inside a JSON string literal (no surrounding quotes)."""
    return json.dumps("" if value is None else str(value))[1:-1]


def _substitutions(action: Action) -> dict[str, str]:
    values: dict[str, AttrValue | None] = {
        k: v for k, v in action.params.items() if k not in _RESERVED
    }
    values.update(
        action_id=action.id,
        event_id=action.event_id,
        incident_id=action.incident_id,
        kind=action.kind.value,
        target=action.target,
        priority=action.priority,
    )
    return {k: _json_fragment(v) for k, v in values.items()}


def _expected(spec: str) -> frozenset[int] | None:
    """Statuses accepted as success; None means any 2xx."""
    if spec.lower() == "2xx":
        return None
    try:
        return frozenset(int(s) for s in spec.split(","))
    except ValueError as exc:
        raise HttpParamError(f"bad expect_status {spec!r}") from exc


def _body(action: Action, method: str) -> tuple[bytes | None, str]:
    """The body and the content type it would be sent with by default."""
    template = action.params.get("body")
    if template is None:
        if method in ("GET", "DELETE"):
            return None, JSON_TYPE
        described = {
            "action_id": action.id,
            "event_id": action.event_id,
            "incident_id": action.incident_id,
            "kind": action.kind.value,
            "target": action.target,
            "priority": action.priority,
            "params": dict(action.params),
        }
        return json.dumps(described).encode(), JSON_TYPE
    # safe_substitute: a `$` that is no placeholder of ours is text, not an error.
    text = string.Template(str(template)).safe_substitute(_substitutions(action))
    try:
        json.loads(text)
    except ValueError:
        return text.encode(), TEXT_TYPE
    return text.encode(), JSON_TYPE


def _headers(params: Mapping[str, AttrValue], content_type: str) -> dict[str, str]:
    headers = {"Content-Type": content_type}
    for key, value in params.items():
        if key.startswith(_HEADER_PREFIX):
            name, text = key[len(_HEADER_PREFIX) :], str(value)
            if not name or any(c in name + text for c in "\r\n\0"):
                raise HttpParamError(f"bad header {name!r}")
            if name.lower() == "content-type":
                del headers["Content-Type"]  # the action's own choice wins
            headers[name] = text
    return headers


def _safe_url(url: URL) -> str:
    """The URL for logs and outcomes: no credentials, no query (it may carry a token)."""
    bare = url.with_query(None).with_fragment(None)
    # Relative or host-less URLs (file:///...) carry no credentials and refuse with_user.
    return str(bare.with_user(None) if url.host else bare)


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request, fully decided from an action's params."""

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
    """Decide the request for `action`; raises HttpParamError if its params are unusable."""
    try:
        url = URL(str(action.params.get("url", action.target)))
        timeout = float(
            action.params.get("timeout_s", action.params.get("timeout", DEFAULT_TIMEOUT_S))
        )
    except ValueError as exc:
        raise HttpParamError(str(exc)) from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise HttpParamError(f"only http and https URLs, not {_safe_url(url)!r}")
    method = str(action.params.get("method", "POST")).upper()
    if method not in METHODS:
        raise HttpParamError(f"method {method!r} not allowed")
    if not 0 < timeout <= MAX_TIMEOUT_S:
        raise HttpParamError(f"timeout {timeout} s outside (0, {MAX_TIMEOUT_S}]")
    body, content_type = _body(action, method)
    return HttpRequest(
        method=method,
        url=url,
        headers=_headers(action.params, content_type),
        body=body,
        timeout=timeout,
        expected=_expected(str(action.params.get("expect_status", "2xx"))),
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
