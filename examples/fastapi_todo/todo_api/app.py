"""The app factory: wires settings, the database, Better Auth verification and the routes together."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from betterauth_jwt import KeyProvider, KeysUnavailableError, RemoteJWKS, SessionVerifier, SharedSecret
from betterauth_jwt.asgi import BetterAuthMiddleware
from betterauth_jwt.fastapi import BetterAuth

from .db import create_db_engine, create_schema, database_ok
from .routes import router as api_router
from .settings import Settings, SettingsError

logger = logging.getLogger("todo_api")

PUBLIC_PATHS = ("/health", "/openapi.json", "/redoc")
PUBLIC_PREFIXES = ("/docs",)  # Swagger UI and its OAuth2 redirect page


def _prepare_database(engine: Engine) -> None:
    try:
        create_schema(engine)
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise SettingsError("DATABASE_URL", f"cannot open the database {where}") from exc


async def _warm_keys(keys: KeyProvider) -> None:
    # Better Auth may start after us (or be restarting): that must not stop this service. Until its keys arrive,
    # /api answers 503 (an outage), never 401 (which would tell the front end its user's token is bad).
    if isinstance(keys, RemoteJWKS):
        try:
            await keys.awarm()
        except KeysUnavailableError as exc:
            logger.warning("JWKS not loaded at start-up (%s); /api answers 503 until it is reachable", exc.description)


async def validation_failed(request: Request, exc: Exception) -> Response:
    """422 with each error's location, message and type. FastAPI's default also echoes the input back: that repeats
    what the client sent, and a lone surrogate in it (valid JSON, invalid UTF-8) would turn the 422 into a 500."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [{"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in errors]
    return Response(json.dumps({"detail": detail}), 422, media_type="application/json")  # ASCII-escaped: always encodes


# /health is public: it reports the key set's state, not the JWKS address or the text of the last fetch error.
_PUBLIC_JWKS_HEALTH = ("ready", "stale", "key_count", "age_seconds", "last_error_code")


def key_state(keys: KeyProvider) -> dict[str, Any]:
    if isinstance(keys, RemoteJWKS):
        health = keys.health()
        return {"source": "jwks", **{name: health[name] for name in _PUBLIC_JWKS_HEALTH}}
    return {"source": "shared_secret" if isinstance(keys, SharedSecret) else "static", "ready": True}


def create_app(settings: Settings) -> FastAPI:
    keys = settings.verifier.keys
    engine = create_db_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Blocking database I/O stays off the event loop, even at start-up.
        await anyio.to_thread.run_sync(_prepare_database, engine)
        await _warm_keys(keys)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(engine.dispose)
            if isinstance(keys, RemoteJWKS):
                await keys.aclose()
            if settings.sessions is not None:
                await settings.sessions.aclose()

    app = FastAPI(
        title="Todo API",
        summary="Each Better Auth user sees and changes only their own tasks.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.add_exception_handler(RequestValidationError, validation_failed)

    # Deny by default: every path needs a valid token unless it is listed as public. A request without one is refused
    # before FastAPI reads its body, and a route added later is protected without anyone having to remember it.
    # Session mode (BETTERAUTH_MODE=session): Better Auth's session cookie too, checked against its session store, so
    # that a signed-out browser is refused on its next call; bearer JWTs still work for API clients.
    cookie: SessionVerifier | bool = settings.sessions or False
    app.add_middleware(
        BetterAuthMiddleware,
        verifier=settings.verifier,
        public_paths=PUBLIC_PATHS,
        public_prefixes=PUBLIC_PREFIXES,
        cookie=cookie,
    )
    # The routes' CurrentUser dependency takes the identity the middleware verified, and declares the bearer scheme
    # in OpenAPI (Swagger UI's Authorize button). install() renders its refusals like the middleware's.
    BetterAuth(settings.verifier, cookie=cookie).install(app)
    app.include_router(api_router)

    # Outermost, so refusals (401, 503) carry CORS headers too: the front end must be able to read a 401 to refresh
    # its token. In JWT mode tokens travel in the Authorization header, never in cookies, so no credentials mode is
    # needed; session mode lets the listed origins send the session cookie (OriginCheck refuses any other site).
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=settings.sessions is not None,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["WWW-Authenticate", "Retry-After"],
        max_age=600,
    )

    @app.get("/health", tags=["health"])
    def health() -> JSONResponse:
        """Public. 200 while the database answers ("degraded" if the signing keys are not loaded yet), else 503."""
        database = database_ok(engine)
        key_source = key_state(keys)
        body = {
            "status": "ok" if database and key_source["ready"] else "degraded",
            "database": {"ok": database, "backend": engine.dialect.name},
            "keys": key_source,
        }
        return JSONResponse(body, status_code=200 if database else 503)

    return app
