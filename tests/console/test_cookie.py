"""The session cookie's attributes over http and https."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from callpoint.console.sessions import SESSION_COOKIE, same_origin, set_session_cookie


def cookie_header(scheme: str) -> str:
    request = make_mocked_request("POST", "/login", headers={"Host": "cp.example"})
    request = request.clone(scheme=scheme)
    response = web.Response()
    set_session_cookie(request, response, "tok")
    return response.cookies[SESSION_COOKIE].OutputString()


def test_cookie_is_secure_over_https_only() -> None:
    https = cookie_header("https")
    assert https.startswith(f"{SESSION_COOKIE}=tok")
    assert "Secure" in https and "HttpOnly" in https and "SameSite=Strict" in https
    assert "Secure" not in cookie_header("http")


def test_same_origin_accepts_own_origin_or_none_and_refuses_others() -> None:
    def check(origin: str | None) -> bool:
        headers = {"Host": "cp.example:8080"}
        if origin is not None:
            headers["Origin"] = origin
        return same_origin(make_mocked_request("POST", "/x", headers=headers))

    assert check(None)
    assert check("http://cp.example:8080")
    assert not check("http://cp.example")
    assert not check("https://evil.example")
    assert not check("null")  # sandboxed frames and some redirects send "null"
