"""Who may read the pages: with a token set, every request (pages, htmx fragments, static files) must carry it,
as `Authorization: Bearer TOKEN`, or once as `?token=TOKEN`, which sets an HttpOnly, SameSite=Strict cookie
and sends the browser on to the same address without it. Anything else gets 401."""

from __future__ import annotations

import hmac
import secrets
from typing import Optional
from urllib.parse import urlencode

COOKIE = "codeforge_token"


def token_for(given: Optional[str], host: str) -> Optional[str]:
    """The token the server asks for: the one given; else none on this machine's own address, else a new one."""
    from .config import is_loopback

    return given or (None if is_loopback(host) else secrets.token_urlsafe(24))


def _same(given: Optional[str], token: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


def bearer(header: str) -> Optional[str]:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def install(app, token: str, refused) -> None:
    """Check every request against `token`; `refused(request)` makes the 401 response."""
    from starlette.responses import RedirectResponse

    @app.middleware("http")
    async def check_token(request, call_next):
        if _same(bearer(request.headers.get("authorization", "")), token) or \
                _same(request.cookies.get(COOKIE), token):
            return await call_next(request)
        if _same(request.query_params.get("token"), token):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return response
        return refused(request)
