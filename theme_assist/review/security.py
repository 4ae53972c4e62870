"""Guards of the review server: it answers only its own page.

* **Host check** (against DNS rebinding): every request must name the server's own host and port.
* **Same origin**: a state-changing request (anything but GET / HEAD / OPTIONS) carrying an ``Origin`` or a
  ``Sec-Fetch-Site`` header must come from the server's own origin.
* **Session token**: a state-changing request must carry the token of this server run in ``X-Session-Token``;
  the page reads it from ``/api/session``, which other origins cannot read (no CORS headers are ever sent).
* **Headers**: a strict Content-Security-Policy (scripts and styles from the server only, no inline code), no
  framing, no sniffing, no referrer.
"""

from __future__ import annotations

import secrets

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TOKEN_HEADER = "X-Session-Token"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def allowed_hosts(host: str, port: int) -> set[str]:
    """``host:port`` values a request may name: the bound address, and the loopback names when bound to one."""
    hosts = {f"{host}:{port}"}
    if host in ("127.0.0.1", "localhost", "::1"):
        hosts |= {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    return hosts


class SameOriginGuard(BaseHTTPMiddleware):
    """Refuse requests for another host, cross-origin writes and writes without the session token."""

    def __init__(self, app, hosts: set[str], token: str):
        super().__init__(app)
        self.hosts = hosts
        self.origins = {f"http://{host}" for host in hosts}
        self.token = token

    def refusal(self, request: Request) -> str | None:
        if request.headers.get("host", "") not in self.hosts:
            return "this server only answers requests for its own address"
        if request.method in SAFE_METHODS:
            return None
        origin = request.headers.get("origin")
        if origin is not None and origin not in self.origins:
            return "cross-origin requests are refused"
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return "cross-site requests are refused"
        if not secrets.compare_digest(request.headers.get(TOKEN_HEADER, ""), self.token):
            return "missing or wrong session token (reload the page)"
        return None

    async def dispatch(self, request: Request, call_next):
        reason = self.refusal(request)
        response = JSONResponse({"detail": reason}, status_code=403) if reason else await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
