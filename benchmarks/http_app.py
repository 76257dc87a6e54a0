"""The application the HTTP benchmark serves with uvicorn, configured by environment variables (set by ``http_bench``).

``BENCH_AUTH``: ``none`` (the bare app), ``betterauth`` (``BetterAuthMiddleware`` with a ``StaticJWKS`` verifier) or
``pyjwt`` (a minimal pure ASGI middleware calling ``jwt.decode`` on every request, for reference), or ``session``
(the same middleware with ``cookie=SessionVerifier(...)``, for ``sessions_http``: ``BENCH_STORE`` is the store's URL,
``BENCH_CACHE_TTL`` its ``cache_ttl``, ``BENCH_ORIGIN`` the trusted origin; ``GET /_bench/stats``, outside the
middleware, answers the requests, store round trips and SQL statements counted so far).
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

    verifier = Verifier(StaticJWKS(jwks), issuer=ISSUER, audience=AUDIENCE)
    if auth == "session":
        return _session_app(app, verifier)
    return BetterAuthMiddleware(app, verifier)


def _session_app(app: ASGIApp, verifier: Any) -> ASGIApp:
    """The middleware with a ``SessionVerifier`` as its cookie verifier, its store wrapped to count round trips."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from tests.stores._support import SECRET

    from benchmarks.sessions import Counting
    from betterauth_jwt import OriginCheck, RedisSessionStore, SessionVerifier, SqlSessionStore
    from betterauth_jwt.asgi import BetterAuthMiddleware

    url = os.environ["BENCH_STORE"]
    store = Counting(RedisSessionStore(url) if url.startswith("redis") else SqlSessionStore(url))
    statements, requests = [0], [0]

    def count_statement(*_args: Any) -> None:  # every statement any engine sends (the async engine's too)
        statements[0] += 1

    event.listen(Engine, "before_cursor_execute", count_statement)
    sessions = SessionVerifier(
        secret=SECRET,
        store=store,  # type: ignore[arg-type]
        csrf=OriginCheck([os.environ["BENCH_ORIGIN"]]),
        cache_ttl=float(os.environ.get("BENCH_CACHE_TTL", "0")),
    )
    guarded = BetterAuthMiddleware(app, verifier, cookie=sessions)

    async def with_stats(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/stats":
            counts = {"requests": requests[0], "store_round_trips": store.trips, **sessions.stats}
            if not url.startswith("redis"):
                counts["sql_statements"] = statements[0]
            body = json.dumps(counts)
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body.encode()})
            return
        requests[0] += 1  # what the server handled: wrk's count leaves out the requests in flight when it stops
        await guarded(scope, receive, send)

    return with_stats


app = build()
