"""``BetterAuthMiddleware``: pure ASGI middleware that authenticates every HTTP request and WebSocket.

It needs no web framework::

    from betterauth_jwt import Verifier
    from betterauth_jwt.asgi import BetterAuthMiddleware

    verifier = Verifier.for_better_auth("https://app.example.com")
    app = BetterAuthMiddleware(app, verifier, public_paths=["/health"], public_prefixes=["/docs"])
    # Starlette / FastAPI: app.add_middleware(BetterAuthMiddleware, verifier=verifier, ...)

- ``required=True`` (default): every request needs a valid token, except public paths and CORS preflights.
  ``required=False``: a request without a token goes on as anonymous; a present but invalid token is still a 401.
- The token is read from ``Authorization: Bearer``; with ``cookie=`` also from Better Auth's ``session_data`` cookie
  (the header wins). See ``betterauth_jwt._web`` for the exact rules and the 401/403/503 answers.
- On success ``scope["user"]`` is the :class:`~betterauth_jwt.Identity` and ``scope["auth"]`` has ``.scopes``
  (``"authenticated"``, ``"role:<name>"``), so Starlette's ``request.user``, ``request.auth`` and ``@requires`` work.
  Otherwise ``scope["user"]`` is an anonymous user (``is_authenticated`` false).
- Public paths and CORS preflights (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) pass without
  authentication, anonymous. Preflights pass so that ``CORSMiddleware`` can answer them, wherever it sits; an
  application should not act on ``OPTIONS`` requests itself.
- ``lifespan`` and other scope types are passed through untouched.
- With an :class:`~betterauth_jwt.OAuthVerifier` (an OAuth resource server, an MCP server): ``scope["user"]`` is the
  :class:`~betterauth_jwt.AccessGrant` and ``scope["auth"].scopes`` its scopes (and ``"authenticated"``), so
  ``@requires("todos:write")`` works; a 401 says ``resource_metadata="<URL>"``, a token without the verifier's
  ``required_scopes`` is a 403 with ``scope="..."``; and the RFC 9728 metadata document is served, public and
  CORS-readable, at ``/.well-known/oauth-protected-resource`` and its path-suffixed form (``scopes_supported``,
  ``resource_name`` go into it).

Pure ASGI (never ``BaseHTTPMiddleware``): the application runs in the same task, so context variables set in a route
are visible to the code around it, and nothing buffers the response.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Unpack

from ._errors import ConfigurationError
from ._oauth_verifier import OAuthVerifier
from ._session_verifier import SessionVerifier
from ._verifier import Verifier
from ._web.asgi_types import ASGIApp, Receive, Scope, Send
from ._web.authenticator import AUTHENTICATOR_SCOPE_KEY, Authenticator, AuthOptions
from ._web.denial import Denied, send_denial
from ._web.metadata import MetadataEndpoint, metadata_endpoints
from ._web.paths import PublicPaths
from ._web.principal import ANONYMOUS_USER, Credentials

__all__ = ["BetterAuthMiddleware"]


class BetterAuthMiddleware:
    """Authenticate ``http`` and ``websocket`` scopes with ``verifier`` before they reach ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        verifier: Verifier | OAuthVerifier | SessionVerifier,
        *,
        required: bool = True,
        public_paths: Iterable[str] = (),
        public_prefixes: Iterable[str] = (),
        scopes_supported: Iterable[str] | None = None,
        resource_name: str | None = None,
        **options: Unpack[AuthOptions],
    ) -> None:
        self.app = app
        self.metadata: dict[str, MetadataEndpoint] = {}
        if isinstance(verifier, OAuthVerifier):
            self.metadata = metadata_endpoints(verifier, scopes_supported=scopes_supported, resource_name=resource_name)
        elif scopes_supported is not None or resource_name is not None:
            raise ConfigurationError("scopes_supported and resource_name describe an OAuthVerifier's resource")
        self.required = bool(required)
        self.public = PublicPaths(public_paths, public_prefixes)
        self._has_public_paths = bool(self.public)  # tested on every request, so not through PublicPaths.__bool__
        self.authenticator = Authenticator(verifier, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.metadata and scope["type"] == "http" and scope["path"] in self.metadata:
            await self.metadata[scope["path"]](scope, receive, send)  # public, for any client, browsers included
            return
        # A copy, as the ASGI spec asks of middleware that changes the scope: nothing leaks to the server or outer apps.
        scope = dict(scope)
        # Each test behind its cheapest part (no public paths configured; not an OPTIONS request): they run on every request.
        if (self._has_public_paths and self.public.matches(scope)) or (
            scope.get("method") == "OPTIONS" and _is_preflight(scope)
        ):
            self._let_through_anonymous(scope)
            await self.app(scope, receive, send)
            return
        # The common case first: a token verified before and still valid is settled without a coroutine.
        if self.authenticator.cached_identity(scope) is None:
            try:
                identity = await self.authenticator.authenticate(scope, required=self.required)
            except Denied as denied:
                await send_denial(scope, send, denied)
                return
            if identity is None:
                self._let_through_anonymous(scope)
        await self.app(scope, receive, send)

    def _let_through_anonymous(self, scope: Scope) -> None:
        scope["user"], scope["auth"] = ANONYMOUS_USER, Credentials()
        scope[AUTHENTICATOR_SCOPE_KEY] = (
            self.authenticator
        )  # for the dependencies of public paths (see _web.authenticator)


def _is_preflight(scope: Scope) -> bool:
    if scope["type"] != "http" or scope.get("method") != "OPTIONS":
        return False
    names = {name for name, _ in scope.get("headers", ())}
    return b"origin" in names and b"access-control-request-method" in names
