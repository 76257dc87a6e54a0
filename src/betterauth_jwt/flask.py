"""Flask: the ``BetterAuth`` extension, the ``current_identity`` proxy and view decorators.

::

    from betterauth_jwt.flask import BetterAuth, current_identity

    auth = BetterAuth()                # or BetterAuth(app, verifier=Verifier.for_better_auth(...))
    auth.init_app(app)                 # reads BETTERAUTH_JWT_BASE_URL (+ BETTERAUTH_JWT_SECRET) or BETTERAUTH_JWT_VERIFIER

    @app.get("/me")
    @auth.required                     # also @auth.optional, @auth.require(role="admin"), @auth.require(scopes=[...])
    def me():
        return {"user_id": current_identity.user_id}

Config keys: ``BETTERAUTH_JWT_VERIFIER`` (a ``Verifier`` or ``OAuthVerifier``, or its dotted path), else
``BETTERAUTH_JWT_BASE_URL`` and ``BETTERAUTH_JWT_SECRET`` (``None``: JWKS); ``BETTERAUTH_JWT_OPTIONS`` (the
authenticator's options: ``cookie``, ``realm``, ``on_outcome``...). A ``verifier=`` given to the constructor wins over
the config. Refusals are the JSON body ``{"detail": ..., "code": ...}`` with the RFC 6750 ``WWW-Authenticate`` header
(401, 403) or ``Retry-After`` (503).

The identity is on ``flask.g.betterauth_identity`` (``None`` when anonymous) and behind :data:`current_identity`: an
:class:`~betterauth_jwt.Identity`, or with an ``OAuthVerifier`` the :class:`~betterauth_jwt.AccessGrant` (401s then
carry ``resource_metadata``; a missing scope is a 403 ``insufficient_scope`` with ``scope="..."``). Verification is
synchronous: a JWKS fetch blocks only the request's thread, and under a threaded server concurrent first requests share
one fetch (``RemoteJWKS`` lets one thread fetch while the others wait for its result).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection
from typing import Any, TypeVar, Unpack, cast

from ._web.extras import missing_extra

try:
    from flask import Flask, Response, current_app, g, request
    from werkzeug.local import LocalProxy
except ImportError as exc:  # pragma: no cover - exercised without flask installed
    raise missing_extra("flask", "flask") from exc

from ._errors import ConfigurationError
from ._kinds.identity import Identity
from ._kinds.oauth import AccessGrant
from ._oauth_verifier import OAuthVerifier
from ._verifier import Verifier
from ._web.authenticator import Authenticator, AuthOptions
from ._web.config import verifier_from_config
from ._web.denial import Denied
from ._web.environ import environ_scope
from ._web.principal import Guard

__all__ = ["BetterAuth", "current_identity"]

EXTENSION = "betterauth_jwt"
SCOPE_KEY = "betterauth_jwt.scope"
View = TypeVar("View", bound=Callable[..., Any])


def _current_identity() -> Identity | AccessGrant | None:
    return cast("Identity | AccessGrant | None", g.get("betterauth_identity"))


current_identity: Identity | AccessGrant = cast("Identity | AccessGrant", LocalProxy(_current_identity))
"""The verified :class:`~betterauth_jwt.Identity` of the current request, or its :class:`~betterauth_jwt.AccessGrant`
with an ``OAuthVerifier`` (``None`` behind ``@auth.optional``)."""


class BetterAuth:
    """The extension: one per application factory, any number of apps (state lives in ``app.extensions``)."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        verifier: Verifier | OAuthVerifier | None = None,
        **options: Unpack[AuthOptions],
    ) -> None:
        self.verifier = verifier
        self.options = options
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        config = app.config
        verifier = self.verifier or verifier_from_config(
            config.get("BETTERAUTH_JWT_VERIFIER"),
            config.get("BETTERAUTH_JWT_BASE_URL"),
            config.get("BETTERAUTH_JWT_SECRET"),
            names=("BETTERAUTH_JWT_VERIFIER", "BETTERAUTH_JWT_BASE_URL", "BETTERAUTH_JWT_SECRET"),
        )
        options = {**config.get("BETTERAUTH_JWT_OPTIONS", {}), **self.options}
        app.extensions[EXTENSION] = Authenticator(verifier, **options)

    @property
    def authenticator(self) -> Authenticator:
        """The current app's authenticator (needs an application context)."""
        authenticator = current_app.extensions.get(EXTENSION)
        if not isinstance(authenticator, Authenticator):
            raise ConfigurationError("BetterAuth is not initialised for this app: call auth.init_app(app)")
        return authenticator

    def _protect(self, view: View, *, required: bool, guard: Guard | None) -> View:
        is_async = inspect.iscoroutinefunction(view)

        @functools.wraps(view)
        def protected(*args: Any, **kwargs: Any) -> Any:
            try:
                identity = self._authenticate(required=required, guard=guard)
            except Denied as denied:
                return Response(denied.body, denied.status, dict(denied.headers), mimetype="application/json")
            g.betterauth_identity = identity
            return current_app.ensure_sync(view)(*args, **kwargs) if is_async else view(*args, **kwargs)

        return cast(View, protected)

    def _authenticate(self, *, required: bool, guard: Guard | None) -> Identity | AccessGrant | None:
        """The current request's identity, or raise the refusal; a second decorator on one request reuses it."""
        environ = request.environ
        scope = environ.get(SCOPE_KEY)  # kept in the WSGI environ: one dict lookup, no proxy
        if scope is None:
            scope = environ[SCOPE_KEY] = environ_scope(environ)
        authenticator = current_app.extensions.get(EXTENSION)
        if not isinstance(authenticator, Authenticator):
            raise ConfigurationError("BetterAuth is not initialised for this app: call auth.init_app(app)")
        if guard is None and (identity := authenticator.cached_identity(scope)) is not None:
            return identity  # a token verified before: no parsing at all
        return authenticator.authenticate_sync(scope, required=required, guard=guard)

    def required(self, view: View) -> View:
        """The view needs a verified token: 401 without one."""
        return self._protect(view, required=True, guard=None)

    def optional(self, view: View) -> View:
        """The view runs without a token too (``current_identity`` is then ``None``); an invalid token is still a 401."""
        return self._protect(view, required=False, guard=None)

    def require(
        self,
        predicate: Callable[[Identity | AccessGrant], bool] | None = None,
        /,
        *,
        role: str | None = None,
        scopes: Collection[str] = (),
    ) -> Callable[[View], View]:
        """The view needs an identity with ``role`` and every one of ``scopes`` (an ``AccessGrant``'s scopes) for which
        ``predicate(identity)`` is true: 403 ``insufficient_scope`` otherwise (``scope="..."`` names missing scopes)."""
        guard = Guard(role=role, predicate=predicate, scopes=frozenset(scopes))
        return lambda view: self._protect(view, required=True, guard=guard)
