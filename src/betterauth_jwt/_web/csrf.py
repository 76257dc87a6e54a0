"""``OriginCheck``: refuse cross-site requests that a cookie would authenticate (CSRF), from the request's headers alone.

A browser attaches the session cookie to every request to the API, including those another site makes it send (a form
POST, a ``fetch`` with ``credentials: "include"``, a WebSocket handshake: WebSockets ignore CORS). Browsers say where a
request comes from, in headers that page scripts cannot set: ``Sec-Fetch-Site`` (Fetch Metadata, every current browser)
and ``Origin``. The rule is Go's ``net/http.CrossOriginProtection`` (Go 1.25), with the trusted origins as its
exemptions:

1. Safe methods (GET, HEAD, OPTIONS) pass, except a WebSocket handshake, which is a GET that acts.
2. ``Sec-Fetch-Site: same-origin`` or ``none`` (the user typed the URL) passes.
3. Another ``Sec-Fetch-Site`` (``same-site``, ``cross-site``) passes only with an ``Origin`` in ``trusted_origins``.
4. No ``Sec-Fetch-Site`` (an older browser, or no browser): no ``Origin`` either passes (not a browser, or a same-origin
   request from a browser old enough to send neither); an ``Origin`` passes if its host is the request's ``Host`` or
   it is trusted.

It is checked before the cookie is even parsed, so a 403 never tells whether the cookie was valid. It is needed only
for cookie credentials: a bearer token is not sent by the browser on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from .._errors import ConfigurationError, CrossSiteRequestError

__all__ = ["SAFE_METHODS", "OriginCheck"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(value: str) -> str | None:
    """``scheme://host[:port]`` in its serialized form (lower case, no default port), or ``None`` if not an origin."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


class OriginCheck:
    """Cross-site request protection for cookie-authenticated requests (see the module's docstring for the rule).

    >>> csrf = OriginCheck(["https://app.example.com"])
    >>> csrf.check("POST", [(b"origin", b"https://app.example.com"), (b"sec-fetch-site", b"same-site")])
    >>> csrf.check("POST", [(b"origin", b"https://evil.example"), (b"sec-fetch-site", b"cross-site")])
    Traceback (most recent call last):
    ...
    betterauth_jwt.CrossSiteRequestError: cross_site_request: ...

    ``trusted_origins``: the origins of your front ends (Better Auth's ``trustedOrigins``), e.g.
    ``https://app.example.com``; requests from the API's own origin need not be listed.
    """

    def __init__(self, trusted_origins: Iterable[str]) -> None:
        if isinstance(trusted_origins, str):
            trusted_origins = [trusted_origins]
        trusted: set[str] = set()
        for value in trusted_origins:
            origin = _origin(value) if isinstance(value, str) else None
            if origin is None:
                raise ConfigurationError(
                    f"trusted origin {value!r} is not an origin: write scheme://host[:port], no path"
                )
            trusted.add(origin)
        self.trusted_origins = frozenset(trusted)

    def __repr__(self) -> str:
        return f"OriginCheck({sorted(self.trusted_origins)!r})"

    def check(self, method: str, headers: Iterable[tuple[bytes, bytes]], *, websocket: bool = False) -> None:
        """Return if the request may be authenticated by a cookie; raise :class:`CrossSiteRequestError` (403) if not.

        ``headers`` are ASGI-style raw pairs (lower-case names); ``websocket`` marks a WebSocket handshake."""
        if not websocket and method.upper() in SAFE_METHODS:
            return
        fetch_site = origin = host = None
        for name, value in headers:
            lowered = name.lower()
            if lowered not in (b"sec-fetch-site", b"origin", b"host"):
                continue
            text = value.decode("latin-1").strip()
            if lowered == b"sec-fetch-site":
                if fetch_site is not None:
                    raise CrossSiteRequestError("the request has two Sec-Fetch-Site headers")
                fetch_site = text.lower()
            elif lowered == b"origin":
                if origin is not None:
                    raise CrossSiteRequestError("the request has two Origin headers")
                origin = text
            else:
                host = text.lower()
        if fetch_site in ("same-origin", "none"):
            return
        normalized = _origin(origin) if origin else None
        if normalized is not None and normalized in self.trusted_origins:
            return
        if fetch_site:  # same-site, cross-site, or a value we do not know: not provably from a trusted page
            raise CrossSiteRequestError("cross-site request refused: its origin is not trusted")
        if not origin:
            return  # neither header: not a browser, or a same-origin request from a browser that sends neither
        if normalized is not None and host and urlsplit(normalized).netloc == host:
            return
        raise CrossSiteRequestError("cross-site request refused: its origin is not trusted")
