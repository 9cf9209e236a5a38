"""Safe by default: loopback binding, a token for any other host, CSRF-safe forms.

- `check_bind` refuses a non-loopback host without a token (the CLI exits 2 on it).
- With a token, every request must carry it: ``Authorization: Bearer <token>``, the
  ``redledger_token`` cookie, or ``?token=<token>`` (which then sets that cookie, so a
  browser opens the workspace once with the link and navigates normally). Otherwise 401.
- Forms use a double-submit token: a random ``redledger_csrf`` cookie (SameSite=Strict,
  HttpOnly) must equal the form's hidden ``csrf`` field, and a POST whose Origin names
  another host is refused. A cross-site page can neither read the cookie nor forge it.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

TOKEN_ENV = "REDLEDGER_TOKEN"
TOKEN_COOKIE = "redledger_token"
CSRF_COOKIE = "redledger_csrf"


class BindError(ValueError):
    """A bind address that is refused (one line)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_token(token: str | None) -> str | None:
    """The token from ``--token`` or, failing that, the environment (empty means none)."""
    return token or os.environ.get(TOKEN_ENV) or None


def check_bind(host: str, token: str | None) -> None:
    """Raises: BindError for a non-loopback host without a token, or a token too short to resist guessing."""
    if token is not None and len(token) < 16:
        raise BindError("--token: at least 16 characters")
    if not is_loopback(host) and token is None:
        raise BindError(f"--host {host}: serving beyond this machine needs a token "
                        f"(--token or the {TOKEN_ENV} environment variable)")


def _supplied(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)


def token_middleware(token: str | None):
    """ASGI HTTP middleware: the token check (if a token is set) and the CSRF cookie."""

    async def middleware(request: Request, call_next) -> Response:
        if token is not None:
            got = _supplied(request)
            if got is None or not hmac.compare_digest(got.encode(), token.encode()):
                return PlainTextResponse("401: this workspace needs its token", status_code=401,
                                         headers={"WWW-Authenticate": "Bearer"})
            if "token" in request.query_params and request.method == "GET":
                # remember it in a cookie and drop it from the address bar
                query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
                resp = RedirectResponse(request.url.path + (f"?{query}" if query else ""), status_code=303)
                resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return resp
        csrf = request.cookies.get(CSRF_COOKIE)
        fresh = csrf is None or len(csrf) < 32
        request.state.csrf = secrets.token_urlsafe(32) if fresh else csrf
        resp = await call_next(request)
        if fresh:
            resp.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        return resp

    return middleware


def check_csrf(request: Request, form_value: str | None) -> str | None:
    """None if the POST is same-origin with a matching CSRF token, else the reason."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = origin.split("://", 1)[-1]
        if host != request.headers.get("host"):
            return f"origin {origin} is not this workspace"
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not form_value or not hmac.compare_digest(cookie.encode(), form_value.encode()):
        return "the form's CSRF token is missing or stale; reload the page and submit again"
    return None


__all__ = [
    "BindError",
    "TOKEN_ENV",
    "check_bind",
    "check_csrf",
    "is_loopback",
    "resolve_token",
    "token_middleware",
]
