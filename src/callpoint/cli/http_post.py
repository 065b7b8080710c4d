"""One HTTP POST from a command, with the standard library (no event loop needed)."""

from __future__ import annotations

import urllib.error
import urllib.request


class UnreachableError(Exception):
    """No HTTP answer at all (refused, no route, timeout); the message says which."""


def post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """POST `data`; the status and body text of whatever HTTP answer comes back.

    Only http(s) URLs: the caller checks the scheme and names its own option in the error.
    """
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, TimeoutError) as exc:
        raise UnreachableError(str(exc)) from exc
