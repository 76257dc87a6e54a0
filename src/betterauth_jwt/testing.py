"""Test helpers: mint Better Auth-shaped tokens and the matching key set, for this project's tests and for yours.

>>> factory = TokenFactory("EdDSA")
>>> verifier = factory.verifier()
>>> verifier.verify(factory.access_token(user_id="user_1")).user_id
'user_1'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._kinds.identity import Identity
from ._testing.jwks_server import JWKSServer
from ._testing.keys import PrivateKey, b64url, generate_private_key, public_jwk, sign_compact
from ._testing.tokens import TokenFactory, make_identity

__all__ = [
    "JWKSServer",
    "PrivateKey",
    "TokenFactory",
    "UserOverride",
    "b64url",
    "generate_private_key",
    "make_identity",
    "override_user",
    "public_jwk",
    "sign_compact",
]


class UserOverride:
    """FastAPI dependency overrides installed by :func:`override_user`; :meth:`undo` (or leaving ``with``) removes them."""

    def __init__(self, app: Any, overrides: Mapping[Any, Callable[..., Any]], identity: Identity) -> None:
        self.app = app
        self.identity = identity
        self._previous = {key: app.dependency_overrides.get(key, _NOT_OVERRIDDEN) for key in overrides}
        app.dependency_overrides.update(overrides)

    def undo(self) -> None:
        """Put back what was there before: the real dependencies (or earlier overrides)."""
        for key, previous in self._previous.items():
            if previous is _NOT_OVERRIDDEN:
                self.app.dependency_overrides.pop(key, None)
            else:
                self.app.dependency_overrides[key] = previous
        self._previous = {}

    def __enter__(self) -> UserOverride:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.undo()


_NOT_OVERRIDDEN = object()


def override_user(app: Any, auth: Any, identity: Identity) -> UserOverride:
    """In FastAPI tests, make ``auth``'s dependencies yield ``identity`` without any token.

    Covers ``Depends(auth)``, ``auth.optional``, the module-level ``CurrentUser``/``OptionalUser``, and every
    ``auth.require(...)`` guard used by ``app``'s routes; guards still judge the identity, so a user without the role
    still gets the 403. ``request.user`` is the identity too. Call it after the routes are declared::

        with override_user(app, auth, make_identity("alice", role="admin")):
            assert client.get("/admin").status_code == 200

    It uses ``app.dependency_overrides``, so it replaces the dependency style only; with ``BetterAuthMiddleware`` in
    front of the routes, send a token from :class:`TokenFactory` instead.
    """
    from starlette.requests import HTTPConnection

    from ._web.denial import Denied
    from ._web.principal import Credentials, Guard, identity_scopes
    from .fastapi import BetterAuth, _Guarded, _refuse, current_user, optional_user

    if not isinstance(auth, BetterAuth):
        raise TypeError("override_user(app, auth, identity): auth must be the betterauth_jwt.fastapi.BetterAuth")
    if not isinstance(identity, Identity):
        raise TypeError("override_user(app, auth, identity): identity must be an Identity (see make_identity)")

    def provide(guard: Guard | None) -> Callable[..., Any]:
        async def dependency(connection: HTTPConnection) -> Identity:
            if guard is not None:
                try:
                    auth.authenticator.authorize(identity, guard, connection.scope.get("path", ""))
                except Denied as denied:
                    _refuse(connection, denied)
            connection.scope["user"] = identity
            connection.scope["auth"] = Credentials(identity_scopes(identity))
            return identity

        # FastAPI reads the signature to inject the connection; this module's annotations are strings it cannot resolve.
        dependency.__annotations__ = {"connection": HTTPConnection, "return": Identity}
        return dependency

    overrides: dict[Any, Callable[..., Any]] = {
        auth: provide(None),
        auth.optional: provide(None),
        current_user: provide(None),
        optional_user: provide(None),
    }
    for route in app.routes:
        pending = [getattr(route, "dependant", None)]
        while pending:
            dependant = pending.pop()
            if dependant is None:
                continue
            call = dependant.call
            if isinstance(call, _Guarded) and call._authenticator is auth.authenticator:
                overrides[call] = provide(call.guard)
            pending.extend(dependant.dependencies)
    return UserOverride(app, overrides, identity)
