"""Litestar: ``BetterAuth``, registered with ``on_app_init``: middleware, error answers and the OpenAPI scheme at once.

::

    from litestar import Litestar, Request, get
    from betterauth_jwt import Identity, Verifier
    from betterauth_jwt.litestar import BetterAuth

    auth = BetterAuth(Verifier.for_better_auth("https://app.example.com"), public_paths=["/health"])

    @get("/me")
    async def me(request: Request[Identity, Any, Any]) -> dict[str, str]:
        return {"user_id": request.user.user_id}

    @get("/admin", guards=[auth.require(role="admin")])
    async def admin() -> str: ...

    app = Litestar([me, admin], on_app_init=[auth.on_app_init])

The middleware is an ``AbstractAuthenticationMiddleware``: ``request.user`` is the :class:`~betterauth_jwt.Identity`
(``None`` when anonymous), or with an ``OAuthVerifier`` the :class:`~betterauth_jwt.AccessGrant` (``Request[Identity |
AccessGrant, ...]`` where it can be either), ``request.auth`` its credentials (``.scopes``).
``auth.require(scopes=[...])`` checks a grant's scopes: 403 ``insufficient_scope`` with ``scope="..."``.
``required=True`` (default) refuses requests without a token, except public paths, CORS preflights and handlers with
``opt={"exclude_from_auth": True}``; ``required=False`` lets them through anonymous and leaves the decision to guards.
Refusals are the JSON body ``{"detail": ..., "code": ...}`` with ``WWW-Authenticate`` (401, 403) or ``Retry-After``
(503). The OpenAPI schema gets an HTTP bearer (JWT) scheme named ``BetterAuth``, required by every operation.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, MutableMapping
from copy import copy
from typing import Any, Unpack, cast

from ._web.extras import missing_extra

try:
    from litestar.config.app import AppConfig
    from litestar.connection import ASGIConnection, Request
    from litestar.exceptions import HTTPException
    from litestar.handlers.base import BaseRouteHandler
    from litestar.middleware import DefineMiddleware
    from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
    from litestar.openapi.spec import Components, SecurityScheme
    from litestar.response import Response
    from litestar.types import ASGIApp, Receive, Scope, Send
except ImportError as exc:  # pragma: no cover - exercised without litestar installed
    raise missing_extra("litestar", "litestar") from exc

from ._kinds.identity import Identity
from ._kinds.oauth import AccessGrant
from ._oauth_verifier import OAuthVerifier
from ._verifier import Verifier
from ._web.authenticator import Authenticator, AuthOptions
from ._web.denial import Denied
from ._web.paths import PublicPaths
from ._web.principal import Guard

__all__ = ["SCHEME_NAME", "BetterAuth", "BetterAuthRefusal"]

SCHEME_NAME = "BetterAuth"
Guarding = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


class BetterAuthRefusal(HTTPException):
    """A refusal (401, 403 or 503); ``denied`` holds the code, detail and headers to send."""

    def __init__(self, denied: Denied) -> None:
        super().__init__(detail=denied.detail, status_code=denied.status, headers=dict(denied.headers))
        self.denied = denied


def _render(request: Request[Any, Any, Any], exc: BetterAuthRefusal) -> Response[bytes]:
    denied = exc.denied
    return Response(denied.body, status_code=denied.status, headers=dict(denied.headers), media_type="application/json")


class _Middleware(AbstractAuthenticationMiddleware):
    def __init__(self, app: ASGIApp, authenticator: Authenticator, required: bool, public: PublicPaths) -> None:
        super().__init__(app)  # OPTIONS (CORS preflights) and handlers with opt exclude_from_auth pass through
        self.authenticator = authenticator
        self.required = required
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The common case first: a token verified before and still valid sets scope["user"] and scope["auth"] without
        # a connection object or a coroutine; anything else takes Litestar's path (exclusions, then the request).
        if self.authenticator.cached_identity(cast(MutableMapping[str, Any], scope)) is None:
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        scope = cast(MutableMapping[str, Any], connection.scope)  # Litestar's TypedDict, read as the mapping it is
        if self.public and self.public.matches(scope):
            return AuthenticationResult(user=None, auth=None)  # as the ASGI middleware: public means unchecked
        try:
            identity = await self.authenticator.authenticate(scope, required=self.required)
        except Denied as denied:
            raise BetterAuthRefusal(denied) from None
        return AuthenticationResult(user=identity, auth=scope.get("auth") if identity is not None else None)


class BetterAuth:
    """Verifies every request's token with ``verifier``; add :meth:`on_app_init` to ``Litestar(on_app_init=[...])``."""

    def __init__(
        self,
        verifier: Verifier | OAuthVerifier,
        *,
        required: bool = True,
        public_paths: Iterable[str] = (),
        public_prefixes: Iterable[str] = (),
        **options: Unpack[AuthOptions],
    ) -> None:
        self.authenticator = Authenticator(verifier, **options)
        self.required = bool(required)
        self.public = PublicPaths(public_paths, public_prefixes)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Register the middleware (outermost), the refusal handler and the OpenAPI security scheme."""
        middleware = DefineMiddleware(
            _Middleware, authenticator=self.authenticator, required=self.required, public=self.public
        )
        app_config.middleware.insert(0, middleware)
        app_config.exception_handlers[BetterAuthRefusal] = _render
        if app_config.openapi_config is not None:
            openapi = app_config.openapi_config = copy(app_config.openapi_config)
            scheme = SecurityScheme(type="http", scheme="bearer", bearer_format="JWT", description="A Better Auth JWT.")
            components = Components(security_schemes={SCHEME_NAME: scheme})
            existing = openapi.components
            openapi.components = [*existing, components] if isinstance(existing, list) else [existing, components]
            openapi.security = [*(openapi.security or []), {SCHEME_NAME: []}]
        return app_config

    def require(
        self,
        predicate: Callable[[Identity | AccessGrant], bool] | None = None,
        /,
        *,
        role: str | None = None,
        scopes: Collection[str] = (),
    ) -> Guarding:
        """A guard: the identity must have ``role``, every one of ``scopes`` (an ``AccessGrant``'s scopes) and satisfy
        ``predicate``; 401 without an identity, 403 ``insufficient_scope`` otherwise (``scope="..."`` for scopes)."""
        guard = Guard(role=role, predicate=predicate, scopes=frozenset(scopes))

        def guarded(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
            identity = connection.scope.get("user")
            path = connection.scope.get("path", "")
            try:
                if not isinstance(identity, Identity | AccessGrant):
                    raise self.authenticator.missing_token(path)
                self.authenticator.authorize(identity, guard, path)
            except Denied as denied:
                raise BetterAuthRefusal(denied) from None

        return guarded
