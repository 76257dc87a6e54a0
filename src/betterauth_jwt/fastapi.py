"""FastAPI dependencies: the current user, an optional user, role and predicate guards, and the OpenAPI bearer scheme.

Dependency style::

    from typing import Unpack, Annotated
    from fastapi import Depends, FastAPI
    from betterauth_jwt import Identity, Verifier
    from betterauth_jwt.fastapi import BetterAuth

    auth = BetterAuth(Verifier.for_better_auth("http://localhost:3000"))
    app = FastAPI()
    auth.install(app)  # {"detail", "code"} bodies and the RFC 6750 headers; app.state.betterauth = auth

    CurrentUser = Annotated[Identity, Depends(auth)]
    OptionalUser = Annotated[Identity | None, Depends(auth.optional)]
    AdminUser = Annotated[Identity, Depends(auth.require(role="admin"))]

Middleware style: with :class:`~betterauth_jwt.asgi.BetterAuthMiddleware` installed, or after ``auth.install(app)``,
the module-level :data:`CurrentUser` and :data:`OptionalUser` work without a reference to ``auth``. They return the
identity the middleware put in ``scope["user"]``; otherwise (no middleware, a public path, optional mode without a
token) they verify the request's token with the middleware's settings, else with the ``BetterAuth`` that
``install`` stored on ``app.state.betterauth``. With neither, they fail loudly (a 500 naming the fix).

Every dependency here is a ``SecurityBase``, so the OpenAPI schema declares an HTTP bearer (JWT) scheme named
``BetterAuth`` and Swagger UI shows its Authorize button. For routes that rely on the middleware alone (no dependency),
:func:`document_bearer_auth` adds the scheme to every operation.

A refusal raises :class:`AuthHTTPException` (a ``fastapi.HTTPException`` with the challenge headers, so the right status
and headers come out even without ``install``) or, on a WebSocket, ``WebSocketException`` with close code 1008 (1013
when the keys are unavailable), which closes the socket before it is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, NoReturn, Unpack, overload

try:
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
    from fastapi.security.base import SecurityBase
    from starlette.exceptions import WebSocketException
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import Response
except ImportError as exc:  # pragma: no cover - exercised without fastapi installed
    raise ImportError(
        "fastapi must be installed to use betterauth_jwt.fastapi: pip install 'betterauth-jwt[fastapi]'"
    ) from exc

from ._kinds.identity import Identity
from ._session_verifier import SessionVerifier
from ._verifier import Verifier
from ._web.authenticator import AUTHENTICATOR_SCOPE_KEY, Authenticator, AuthOptions
from ._web.denial import Denied
from ._web.paths import PublicPaths
from ._web.principal import Guard

__all__ = [
    "SCHEME_NAME",
    "SESSION_SCHEME_NAME",
    "AuthHTTPException",
    "BetterAuth",
    "CurrentUser",
    "OptionalUser",
    "current_user",
    "document_bearer_auth",
    "optional_user",
]

SCHEME_NAME = "BetterAuth"
_SCHEME_DESCRIPTION = "A Better Auth JWT (from /api/auth/token or the set-auth-jwt header)."
SESSION_SCHEME_NAME = "BetterAuthSession"
_SESSION_SCHEME_DESCRIPTION = "Better Auth's signed session cookie, checked against its session store."


class AuthHTTPException(HTTPException):
    """A refusal (401, 403 or 503); ``denied`` holds the code, detail and headers to send."""

    def __init__(self, denied: Denied) -> None:
        super().__init__(denied.status, denied.detail, dict(denied.headers))
        self.denied = denied


def _refuse(conn: HTTPConnection, denied: Denied) -> NoReturn:
    if conn.scope["type"] == "websocket":
        raise WebSocketException(code=denied.close_code, reason=denied.code)
    raise AuthHTTPException(denied)


@overload
async def _identify(
    conn: HTTPConnection, authenticator: Authenticator, *, required: Literal[True], guard: Guard | None = None
) -> Identity: ...


@overload
async def _identify(
    conn: HTTPConnection, authenticator: Authenticator, *, required: bool, guard: Guard | None = None
) -> Identity | None: ...


async def _identify(
    conn: HTTPConnection, authenticator: Authenticator, *, required: bool, guard: Guard | None = None
) -> Identity | None:
    try:
        return await authenticator.authenticate(conn.scope, required=required, guard=guard)
    except Denied as denied:
        _refuse(conn, denied)


class _BearerScheme(SecurityBase):
    """Declares the ``BetterAuth`` HTTP bearer (JWT) scheme in OpenAPI for the routes that depend on it."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(bearerFormat="JWT", description=_SCHEME_DESCRIPTION)
        self.scheme_name = SCHEME_NAME


class _Optional(_BearerScheme):
    def __init__(self, authenticator: Authenticator) -> None:
        super().__init__()
        self._authenticator = authenticator

    async def __call__(self, request: HTTPConnection) -> Identity | None:
        return await _identify(request, self._authenticator, required=False)


class _Guarded(_BearerScheme):
    def __init__(self, authenticator: Authenticator, guard: Guard) -> None:
        super().__init__()
        self._authenticator = authenticator
        self.guard = guard

    async def __call__(self, request: HTTPConnection) -> Identity:
        return await _identify(request, self._authenticator, required=True, guard=self.guard)


class BetterAuth(_BearerScheme):
    """The FastAPI dependency that yields the verified :class:`~betterauth_jwt.Identity` (401 without one).

    Works for HTTP routes and WebSockets. ``cookie`` also reads Better Auth's ``session_data`` cookie (``True``: with
    ``verifier``, which must then be a ``TokenKind.SESSION_COOKIE`` verifier; a ``Verifier``: with that one).
    """

    def __init__(
        self,
        verifier: Verifier,
        **options: Unpack[AuthOptions],
    ) -> None:
        super().__init__()
        self.authenticator = Authenticator(verifier, **options)
        self.optional = _Optional(self.authenticator)
        """Dependency: the identity, or ``None`` without a token (a present but invalid token is still a 401)."""

    def __repr__(self) -> str:
        return f"BetterAuth({self.authenticator!r})"

    async def __call__(self, request: HTTPConnection) -> Identity:
        return await _identify(request, self.authenticator, required=True)

    def require(self, predicate: Callable[[Identity], bool] | None = None, /, *, role: str | None = None) -> _Guarded:
        """Dependency: the identity if it has ``role`` (Better Auth admin plugin) and ``predicate(identity)`` is true;
        403 ``insufficient_scope`` otherwise."""
        return _Guarded(self.authenticator, Guard(role=role, predicate=predicate))

    def install(self, app: FastAPI) -> None:
        """Render refusals as ``{"detail", "code"}`` with their RFC 6750 headers; store ``self`` on
        ``app.state.betterauth`` for the module-level :data:`CurrentUser` and :data:`OptionalUser`. With
        ``cookie=SessionVerifier(...)``, the OpenAPI schema also declares the session cookie (``BetterAuthSession``)
        as an alternative to the bearer scheme."""
        app.state.betterauth = self
        app.add_exception_handler(AuthHTTPException, _render_refusal)
        sessions = self.authenticator.cookie_verifier
        if isinstance(sessions, SessionVerifier):
            _document_session_cookie(app, sessions.cookie_names[-1])


def _document_session_cookie(app: FastAPI, cookie_name: str) -> None:
    def declare(schema: dict[str, Any]) -> None:
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[SESSION_SCHEME_NAME] = {"type": "apiKey", "in": "cookie", "name": cookie_name,
                                        "description": _SESSION_SCHEME_DESCRIPTION}  # fmt: skip
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                security = operation.get("security") if isinstance(operation, dict) else None
                if isinstance(security, list) and {SCHEME_NAME: []} in security:
                    security.append({SESSION_SCHEME_NAME: []})  # either one authenticates the request

    _extend_openapi(app, declare)


async def _render_refusal(request: Request, exc: Exception) -> Response:
    denied = exc.denied if isinstance(exc, AuthHTTPException) else None
    if denied is None:  # pragma: no cover - only registered for AuthHTTPException
        raise exc
    return Response(denied.body, denied.status, dict(denied.headers), media_type="application/json")


class _AppUser(_BearerScheme):
    """The identity from the middleware, or verified with the middleware's or ``app.state.betterauth``'s settings."""

    def __init__(self, *, required: bool) -> None:
        super().__init__()
        self.required = required

    async def __call__(self, request: HTTPConnection) -> Identity | None:
        user = request.scope.get("user")
        if isinstance(user, Identity):
            return user
        authenticator = request.scope.get(AUTHENTICATOR_SCOPE_KEY)
        if not isinstance(authenticator, Authenticator):
            installed = getattr(getattr(request.scope.get("app"), "state", None), "betterauth", None)
            if not isinstance(installed, BetterAuth):
                raise RuntimeError(
                    "betterauth_jwt.fastapi.CurrentUser and OptionalUser need BetterAuthMiddleware in front of the app "
                    "or BetterAuth(verifier).install(app)"
                )
            authenticator = installed.authenticator
        return await _identify(request, authenticator, required=self.required)


current_user = _AppUser(required=True)
optional_user = _AppUser(required=False)
CurrentUser = Annotated[Identity, Depends(current_user)]
"""The verified identity (401 without one); needs ``BetterAuthMiddleware`` or ``BetterAuth.install(app)``."""
OptionalUser = Annotated[Identity | None, Depends(optional_user)]
"""The verified identity or ``None`` without a token; needs ``BetterAuthMiddleware`` or ``BetterAuth.install(app)``."""


def document_bearer_auth(
    app: FastAPI, *, public_paths: Iterable[str] = (), public_prefixes: Iterable[str] = ()
) -> None:
    """Declare the ``BetterAuth`` bearer scheme for every operation of ``app``'s OpenAPI schema, except the public
    paths (give the middleware's ``public_paths``/``public_prefixes``): for apps protected by the middleware alone."""
    public = PublicPaths(public_paths, public_prefixes)

    def declare(schema: dict[str, Any]) -> None:
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[SCHEME_NAME] = _BearerScheme().model.model_dump(mode="json", by_alias=True, exclude_none=True)
        for path, operations in schema.get("paths", {}).items():
            if public.matches({"path": path}):
                continue
            for operation in operations.values():
                if isinstance(operation, dict) and "security" not in operation:
                    operation["security"] = [{SCHEME_NAME: []}]

    _extend_openapi(app, declare)


def _extend_openapi(app: FastAPI, extend: Callable[[dict[str, Any]], None]) -> None:
    """Have ``extend`` edit the app's OpenAPI schema once, when it is first built (FastAPI then caches it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        extend(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
