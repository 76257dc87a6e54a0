"""``BetterAuthBackend``: an ``AuthenticationBackend`` for Starlette's ``AuthenticationMiddleware``.

::

    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from betterauth_jwt.starlette import BetterAuthBackend

    backend = BetterAuthBackend(verifier)
    app = Starlette(routes=..., middleware=[
        Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error),
    ])

Starlette's model is "optional": a request without a token goes on with ``UnauthenticatedUser`` and routes use
``@requires("authenticated")`` (or ``"role:admin"``); a present but invalid token is a 401 from :meth:`on_error` (pass
it: Starlette's default answers 400 with the exception's text). ``request.user`` is the
:class:`~betterauth_jwt.Identity`; with an :class:`~betterauth_jwt.OAuthVerifier` it is the
:class:`~betterauth_jwt.AccessGrant` and ``request.auth.scopes`` its scopes, so ``@requires("todos:write")`` works
(add :func:`protected_resource_routes` for the RFC 9728 document its 401s point at). Starlette's middleware closes a refused WebSocket with code 1000 whatever
``on_error`` says; use :class:`~betterauth_jwt.asgi.BetterAuthMiddleware` for the 1008/1013 close codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Unpack, cast

try:
    from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
    from starlette.requests import HTTPConnection
    from starlette.responses import Response
    from starlette.routing import Route
except ImportError as exc:  # pragma: no cover - exercised without starlette installed
    raise ImportError(
        "starlette must be installed to use betterauth_jwt.starlette: pip install 'betterauth-jwt[starlette]'"
    ) from exc

from ._oauth_verifier import OAuthVerifier
from ._session_verifier import SessionVerifier
from ._verifier import Verifier
from ._web.authenticator import Authenticator, AuthOptions
from ._web.denial import Denied
from ._web.metadata import METADATA_METHODS, metadata_endpoints

__all__ = ["BetterAuthBackend", "BetterAuthError", "protected_resource_routes"]


class BetterAuthError(AuthenticationError):
    """Raised by :meth:`BetterAuthBackend.authenticate` for a refused token; carries the answer to send."""

    def __init__(self, denied: Denied) -> None:
        super().__init__(denied.detail)
        self.denied = denied


class BetterAuthBackend(AuthenticationBackend):
    def __init__(
        self,
        verifier: Verifier | OAuthVerifier | SessionVerifier,
        **options: Unpack[AuthOptions],
    ) -> None:
        self.authenticator = Authenticator(verifier, **options)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        try:
            identity = await self.authenticator.authenticate(conn.scope, required=False)
        except Denied as denied:
            raise BetterAuthError(denied) from None
        if identity is None:
            return None
        # Identity implements BaseUser's protocol (is_authenticated, display_name, identity) without subclassing it,
        # so that the core never imports Starlette. The credentials are the ones authenticate() stored: AuthCredentials'
        # shape (.scopes, worked out when read), and they tell a FastAPI dependency further in that this identity was
        # verified here already.
        return cast(AuthCredentials, conn.scope["auth"]), cast(BaseUser, identity)

    def on_error(self, conn: HTTPConnection, exc: AuthenticationError) -> Response:
        """The 401/503 answer for a refused token (RFC 6750), never the exception's text."""
        if isinstance(exc, BetterAuthError):
            denied = exc.denied
        else:  # raised by some other backend: its text is not ours to show
            denied = Denied(
                401, "invalid_token", "authentication failed", self.authenticator.challenge("invalid_token")
            )
        return Response(denied.body, denied.status, dict(denied.headers), media_type="application/json")


def protected_resource_routes(
    verifier: OAuthVerifier, *, scopes_supported: Iterable[str] | None = None, resource_name: str | None = None
) -> list[Route]:
    """Routes serving ``verifier``'s RFC 9728 metadata at ``/.well-known/oauth-protected-resource`` and its
    path-suffixed form: public (keep them outside authentication), cacheable, readable cross-origin."""
    endpoints = metadata_endpoints(verifier, scopes_supported=scopes_supported, resource_name=resource_name)
    return [Route(path, endpoint, methods=list(METADATA_METHODS)) for path, endpoint in endpoints.items()]
