"""Guards of the review server: it answers only its own page.

* **Host check** (against DNS rebinding): every request must name the server's own host and port (port 80 may go
  unwritten, as browsers leave it out); a server listening on every address (``0.0.0.0``, ``::``) is named by any
  IP address, which no rebound name is.
* **Same origin**: a state-changing request (anything but GET / HEAD / OPTIONS) carrying an ``Origin`` or a
  ``Sec-Fetch-Site`` header must come from the server's own origin: the one the request names.
* **Session token**: a state-changing request must carry the token of this server run in ``X-Session-Token``;
  the page reads it from ``/api/session``, which other origins cannot read (no CORS headers are ever sent).
* **Headers**: a strict Content-Security-Policy (scripts and styles from the server only, no inline code), no
  framing, no sniffing, no referrer.
"""

from __future__ import annotations

import ipaddress
import secrets

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
EVERY_ADDRESS = ("0.0.0.0", "::")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
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


def with_port(host: str) -> str:
    """``host`` (a Host header, or an origin less its ``http://``) with its port written out: a browser leaves out
    http's default port, 80, so a server on port 80 is named without it (``127.0.0.1``, ``[::1]``)."""
    return f"{host}:80" if host and (host.endswith("]") or ":" not in host) else host


def allowed_hosts(host: str, port: int) -> set[str]:
    """``host:port`` values a request may name (an IPv6 address in brackets, as a browser writes it): the bound
    address, and the loopback names when bound to one or to every address (see :class:`SameOriginGuard` for the
    others then)."""
    hosts = {f"[{host}]:{port}" if ":" in host else f"{host}:{port}"}
    if host in LOOPBACK + EVERY_ADDRESS:
        hosts |= {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    return hosts


def an_address(host: str, port: int) -> bool:
    """Whether ``host`` (a Host header) is an IP address with ``port``: no name, so nothing DNS could rebind."""
    name, _, given = host.rpartition(":")
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") and name.endswith("]") else name)
    except ValueError:
        return False
    return given == str(port)


class SameOriginGuard(BaseHTTPMiddleware):
    """Refuse requests for another host, cross-origin writes and writes without the session token.

    ``every_address_port``: the port of a server listening on every address, which any IP address with that port
    names besides ``hosts``; None for a server on one address."""

    def __init__(self, app, hosts: set[str], token: str, every_address_port: int | None = None):
        super().__init__(app)
        self.hosts = {with_port(host) for host in hosts}
        self.every_address_port = every_address_port
        self.token = token

    def refusal(self, request: Request) -> str | None:
        host = with_port(request.headers.get("host", ""))
        if host not in self.hosts and not (self.every_address_port and an_address(host, self.every_address_port)):
            return "this server only answers requests for its own address"
        if request.method in SAFE_METHODS:
            return None
        origin = request.headers.get("origin")
        if origin is not None and not (origin.startswith("http://") and with_port(origin[len("http://"):]) == host):
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
