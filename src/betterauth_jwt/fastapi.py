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

OAuth resource servers (tokens from Better Auth's OAuth provider, for third-party clients and MCP)::

    auth = BetterAuth(OAuthVerifier.for_better_auth(base_url, resource="https://api.example.com/todos"),
                      scopes={"todos:read": "Read your todos", "todos:write": "Change your todos"})
    auth.install(app)  # also serves the RFC 9728 metadata its 401s point at
    Grant = Annotated[AccessGrant, Security(auth, scopes=["todos:write"])]  # 403 insufficient_scope, scope="..."

``BetterAuth(Verifier)`` yields an :class:`~betterauth_jwt.Identity`, ``BetterAuth(OAuthVerifier)`` an
:class:`~betterauth_jwt.AccessGrant`: the types say which. ``Security(..., scopes=[...])`` (FastAPI's
``SecurityScopes``) checks a grant's scopes, or a first-party user's ``"authenticated"`` / ``"role:<name>"``.

Every dependency here is a ``SecurityBase``, so the OpenAPI schema declares a scheme named ``BetterAuth`` and Swagger
UI shows its Authorize button: an HTTP bearer (JWT) scheme, or for an ``OAuthVerifier`` an OAuth2 authorization-code
scheme with Better Auth's endpoints and the scopes. For routes that rely on the middleware alone (no dependency),
:func:`document_bearer_auth` adds the scheme to every operation.

A refusal raises :class:`AuthHTTPException` (a ``fastapi.HTTPException`` with the challenge headers, so the right status
and headers come out even without ``install``) or, on a WebSocket, ``WebSocketException`` with close code 1008 (1013
when the keys are unavailable), which closes the socket before it is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Generic, NoReturn, TypeVar, Unpack, cast, overload

try:
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
    from fastapi.openapi.models import OAuth2 as OAuth2Model
    from fastapi.openapi.models import OAuthFlowAuthorizationCode, OAuthFlows
    from fastapi.security import SecurityScopes
    from fastapi.security.base import SecurityBase
    from starlette.exceptions import WebSocketException
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import Response
    from starlette.routing import Route
except ImportError as exc:  # pragma: no cover - exercised without fastapi installed
    raise ImportError(
        "fastapi must be installed to use betterauth_jwt.fastapi: pip install 'betterauth-jwt[fastapi]'"
    ) from exc

from ._errors import ConfigurationError
from ._kinds.identity import Identity
from ._kinds.oauth import AccessGrant
from ._oauth_verifier import OAuthVerifier
from ._session_verifier import SessionVerifier
from ._verifier import Verifier
from ._web.authenticator import AUTHENTICATOR_SCOPE_KEY, Authenticator, AuthOptions
from ._web.denial import Denied
from ._web.metadata import METADATA_METHODS, authorization_endpoints, metadata_endpoints
from ._web.paths import PublicPaths
from ._web.principal import Guard, Principal
from ._web.scopes import check_scopes

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
_OAUTH_DESCRIPTION = "An access token from Better Auth's OAuth provider for this resource."
P = TypeVar("P", Identity, AccessGrant)
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


async def _identify(
    conn: HTTPConnection,
    authenticator: Authenticator,
    *,
    required: bool,
    guard: Guard | None = None,
    scopes: Iterable[str] = (),
) -> Principal | None:
    try:
        principal = await authenticator.authenticate(conn.scope, required=required, guard=guard)
        if principal is not None and scopes:
            check_scopes(authenticator, principal, scopes, conn.scope.get("path", ""))
    except Denied as denied:
        _refuse(conn, denied)
    return principal


class _BearerScheme(SecurityBase):
    """Declares the ``BetterAuth`` scheme in OpenAPI for the routes that depend on it: HTTP bearer (JWT), or for an
    OAuth resource server the authorization-code flow at Better Auth with ``scopes`` (name -> description)."""

    def __init__(
        self, verifier: Verifier | OAuthVerifier | None = None, scopes: Mapping[str, str] | None = None
    ) -> None:
        self.scheme_name = SCHEME_NAME
        if not isinstance(verifier, OAuthVerifier):
            self.model: Any = HTTPBearerModel(bearerFormat="JWT", description=_SCHEME_DESCRIPTION)
            return
        authorize, token = authorization_endpoints(verifier.issuer)
        flow = OAuthFlowAuthorizationCode(authorizationUrl=authorize, tokenUrl=token, scopes=dict(scopes or {}))
        self.model = OAuth2Model(flows=OAuthFlows(authorizationCode=flow), description=_OAUTH_DESCRIPTION)


class _Optional(_BearerScheme, Generic[P]):
    def __init__(self, authenticator: Authenticator, model: Any) -> None:
        super().__init__()
        self.model = model
        self._authenticator = authenticator

    async def __call__(self, request: HTTPConnection, security_scopes: SecurityScopes) -> P | None:
        found = await _identify(request, self._authenticator, required=False, scopes=security_scopes.scopes)
        return cast("P | None", found)


class _Guarded(_BearerScheme, Generic[P]):
    def __init__(self, authenticator: Authenticator, guard: Guard, model: Any) -> None:
        super().__init__()
        self.model = model
        self._authenticator = authenticator
        self.guard = guard

    async def __call__(self, request: HTTPConnection, security_scopes: SecurityScopes) -> P:
        found = await _identify(
            request, self._authenticator, required=True, guard=self.guard, scopes=security_scopes.scopes
        )
        return cast(P, found)


class BetterAuth(_BearerScheme, Generic[P]):
    """The FastAPI dependency that yields the verified :class:`~betterauth_jwt.Identity` (with a ``Verifier``) or
    :class:`~betterauth_jwt.AccessGrant` (with an ``OAuthVerifier``); 401 without one.

    Works for HTTP routes and WebSockets. ``cookie`` also reads Better Auth's ``session_data`` cookie (``True``: with
    ``verifier``, which must then be a ``TokenKind.SESSION_COOKIE`` verifier; a ``Verifier``: with that one).
    ``scopes`` (OAuth: the scopes this API knows, name -> description, or names) go into the OpenAPI scheme and the
    RFC 9728 metadata's ``scopes_supported``, beside ``resource_name``.
    """

    @overload
    def __init__(
        self: BetterAuth[Identity],
        verifier: Verifier,
        **options: Unpack[AuthOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: BetterAuth[AccessGrant],
        verifier: OAuthVerifier,
        *,
        scopes: Mapping[str, str] | Iterable[str] | None = None,
        resource_name: str | None = None,
        **options: Unpack[AuthOptions],
    ) -> None: ...

    def __init__(
        self,
        verifier: Verifier | OAuthVerifier,
        *,
        scopes: Mapping[str, str] | Iterable[str] | None = None,
        resource_name: str | None = None,
        **options: Unpack[AuthOptions],
    ) -> None:
        described = dict(scopes) if isinstance(scopes, Mapping) else dict.fromkeys(scopes or (), "")
        super().__init__(verifier, described)
        self.authenticator = Authenticator(verifier, **options)
        self.metadata = {}
        if isinstance(verifier, OAuthVerifier):
            self.metadata = metadata_endpoints(verifier, scopes_supported=described, resource_name=resource_name)
        elif scopes is not None or resource_name is not None:
            raise ConfigurationError("scopes and resource_name describe an OAuthVerifier's resource")
        self.optional: _Optional[P] = _Optional(self.authenticator, self.model)
        """Dependency: the identity, or ``None`` without a token (a present but invalid token is still a 401)."""

    def __repr__(self) -> str:
        return f"BetterAuth({self.authenticator!r})"

    async def __call__(self, request: HTTPConnection, security_scopes: SecurityScopes) -> P:
        found = await _identify(request, self.authenticator, required=True, scopes=security_scopes.scopes)
        return cast(P, found)

    def require(self, predicate: Callable[[P], bool] | None = None, /, *, role: str | None = None) -> _Guarded[P]:
        """Dependency: the identity if it has ``role`` (Better Auth admin plugin) and ``predicate(identity)`` is true;
        403 ``insufficient_scope`` otherwise."""
        return _Guarded(self.authenticator, Guard(role=role, predicate=predicate), self.model)

    def install(self, app: FastAPI) -> None:
        """Render refusals as ``{"detail", "code"}`` with their RFC 6750 headers; store ``self`` on
        ``app.state.betterauth`` for the module-level :data:`CurrentUser` and :data:`OptionalUser`; for an OAuth
        resource server, serve its RFC 9728 metadata (public, CORS-readable). With ``cookie=SessionVerifier(...)``, the
        OpenAPI schema also declares the session cookie (``BetterAuthSession``) beside the bearer scheme."""
        app.state.betterauth = self
        app.add_exception_handler(AuthHTTPException, _render_refusal)
        # First, so that no catch-all route of the app's shadows them.
        for path, endpoint in reversed(self.metadata.items()):
            app.router.routes.insert(0, Route(path, endpoint, methods=list(METADATA_METHODS), include_in_schema=False))
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
        found = await _identify(request, authenticator, required=self.required)
        if found is not None and not isinstance(found, Identity):
            raise RuntimeError(
                "betterauth_jwt.fastapi.CurrentUser and OptionalUser are first-party users (Identity); with an "
                "OAuthVerifier, depend on the BetterAuth instance: Annotated[AccessGrant, Depends(auth)]"
            )
        return found


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
