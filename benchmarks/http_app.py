"""The application the HTTP benchmark serves with uvicorn, configured by environment variables (set by ``http_bench``).

``BENCH_AUTH``: ``none`` (the bare app), ``betterauth`` (``BetterAuthMiddleware`` with a ``StaticJWKS`` verifier) or
``pyjwt`` (a minimal pure ASGI middleware calling ``jwt.decode`` on every request, for reference).
``BENCH_JWKS``: path of the JWKS file the token signer published. ``BENCH_FRAMEWORK``: ``asgi`` (a bare ASGI app, the
strictest comparison, since any per-request cost weighs most next to it) or ``starlette`` (one Starlette route).
Every variant answers ``GET /`` with the same small JSON body.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from benchmarks._contenders import AUDIENCE, ISSUER

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

BODY = b'{"hello":"world"}'
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
_UNAUTHORIZED = [(b"content-type", b"application/json"), (b"www-authenticate", b'Bearer error="invalid_token"')]


async def hello(scope: Scope, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def _starlette_app() -> ASGIApp:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def endpoint(request: Any) -> Response:
        return Response(BODY, media_type="application/json")

    return Starlette(routes=[Route("/", endpoint)])


def _pyjwt_middleware(app: ASGIApp, jwks: dict[str, Any]) -> ASGIApp:
    """What the issue measured as the baseline: a pure ASGI middleware running PyJWT on every request."""
    import jwt

    key = jwt.PyJWK(jwks["keys"][0])

    async def middleware(scope: Scope, receive: Any, send: Any) -> None:
        header = dict(scope["headers"]).get(b"authorization", b"")
        try:
            scope["user"] = jwt.decode(
                header.removeprefix(b"Bearer ").decode(), key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER
            )
        except jwt.InvalidTokenError:
            await send({"type": "http.response.start", "status": 401, "headers": _UNAUTHORIZED})
            await send({"type": "http.response.body", "body": b'{"detail":"invalid token"}'})
            return
        await app(scope, receive, send)

    return middleware


def build() -> ASGIApp:
    app: ASGIApp = _starlette_app() if os.environ.get("BENCH_FRAMEWORK") == "starlette" else hello
    auth = os.environ.get("BENCH_AUTH", "none")
    if auth == "none":
        return app
    jwks = json.loads(Path(os.environ["BENCH_JWKS"]).read_text())
    if auth == "pyjwt":
        return _pyjwt_middleware(app, jwks)
    from betterauth_jwt import StaticJWKS, Verifier
    from betterauth_jwt.asgi import BetterAuthMiddleware

    return BetterAuthMiddleware(app, Verifier(StaticJWKS(jwks), issuer=ISSUER, audience=AUDIENCE))


app = build()
