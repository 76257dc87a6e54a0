"""OAuth access tokens as Better Auth's OAuth provider mints them (BETTER_AUTH.md §6), for ``TokenFactory``.

Header ``{"typ": "at+jwt", "alg", "kid"}``; claims ``sub``, ``aud``, ``client_id``, ``azp``, ``scope``, ``sid``, ``iss``
(the origin plus ``/api/auth`` by default), ``iat``, ``exp`` (an hour), ``jti``. A machine (``client_credentials``)
token has ``sub`` = the client id and no ``sid``. Signed by the same keys as the factory's first-party tokens, as on a
real server.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._keys.fixed import KeyProvider
from .._oauth_verifier import OAuthVerifier

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_RESOURCE", "OAuthTokens"]

DEFAULT_RESOURCE = "http://localhost:8000/mcp"
DEFAULT_CLIENT_ID = "mcp_client_1"


class OAuthTokens:
    """The OAuth half of :class:`~betterauth_jwt.testing.TokenFactory`."""

    if TYPE_CHECKING:
        issuer: str
        clock: Callable[[], float]

        def sign(self, payload: Mapping[str, Any] | bytes, header: Mapping[str, Any] | None = None) -> str: ...
        def header(self, **extra: Any) -> dict[str, Any]: ...
        def key_provider(self) -> KeyProvider: ...

    @property
    def oauth_issuer(self) -> str:
        """What the OAuth provider puts in ``iss`` by default: the factory's issuer (an origin) plus ``/api/auth``."""
        return f"{self.issuer}/api/auth"

    def oauth_claims(
        self,
        user_id: str | None = "user_1",
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        scopes: Iterable[str] = ("openid", "todos:read"),
        resource: str | list[str] = DEFAULT_RESOURCE,
        issuer: str | None = None,
        expires_in: float = 3600,
        issued_at: float | None = None,
        **claims: Any,
    ) -> dict[str, Any]:
        """Claims of a user's OAuth access token; ``user_id=None`` for a machine (``client_credentials``) token."""
        iat = int(self.clock() if issued_at is None else issued_at)
        payload: dict[str, Any] = {
            "sub": user_id if user_id is not None else client_id,
            "aud": resource,
            "client_id": client_id,
            "azp": client_id,
            "scope": " ".join(scopes),
        }
        if user_id is not None:
            payload["sid"] = secrets.token_urlsafe(24)
        payload.update(
            iss=issuer or self.oauth_issuer, iat=iat, exp=int(iat + expires_in), jti=secrets.token_urlsafe(24)
        )
        payload.update(claims)
        return {key: value for key, value in payload.items() if value is not None}

    def oauth_token(self, user_id: str | None = "user_1", *, dpop_jkt: str | None = None, **options: Any) -> str:
        """A signed OAuth access token (``typ: at+jwt``); ``dpop_jkt`` binds it to a DPoP key (``cnf.jkt``)."""
        claims = self.oauth_claims(user_id, **options)
        if dpop_jkt is not None:
            claims["cnf"] = {"jkt": dpop_jkt}
        return self.sign(claims, self.header(typ="at+jwt"))

    def machine_token(self, client_id: str = DEFAULT_CLIENT_ID, **options: Any) -> str:
        """A ``client_credentials`` access token: no user, ``sub`` is the client id."""
        return self.oauth_token(None, client_id=client_id, **options)

    def id_token(self, user_id: str = "user_1", *, client_id: str = DEFAULT_CLIENT_ID, **claims: Any) -> str:
        """An OIDC id_token for ``client_id`` (no ``typ``, ``aud`` = the client id, ``nonce``, ``at_hash``)."""
        iat = int(self.clock())
        payload = {
            "sub": user_id,
            "aud": client_id,
            "iss": self.oauth_issuer,
            "iat": iat,
            "exp": iat + 36000,
            "auth_time": iat,
            "nonce": secrets.token_urlsafe(12),
            "at_hash": secrets.token_urlsafe(16),
            **claims,
        }
        return self.sign(payload, self.header())

    def oauth_verifier(self, resource: str = DEFAULT_RESOURCE, **options: Any) -> OAuthVerifier:
        """An :class:`~betterauth_jwt.OAuthVerifier` that accepts this factory's OAuth tokens for ``resource``."""
        options.setdefault("issuer", self.oauth_issuer)
        options.setdefault("clock", self.clock)
        return OAuthVerifier(self.key_provider(), resource=resource, **options)
