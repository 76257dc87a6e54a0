"""``OAuthVerifier``: Better Auth OAuth-provider access tokens (RFC 9068) for a resource server, over the shared
pipeline (``_verifier.TokenPipeline``) with the OAuth profile (``_kinds/oauth.py``); opaque tokens refused, or checked by
token introspection (``_stores/introspection.py``) when configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._errors import ConfigurationError, InvalidClaimsError, OpaqueTokenError
from ._jose.token import DEFAULT_MAX_TOKEN_BYTES, ParsedToken
from ._keys.better_auth import oauth_issuer
from ._keys.fixed import KeyProvider
from ._kinds.oauth import AccessGrant, OAuthProfile, parse_scope
from ._stores.introspection import IntrospectionRules, TokenIntrospection
from ._verifier import DEFAULT_CACHE_SIZE, TokenPipeline, remote_keys

__all__ = ["OAuthVerifier"]


def _required_scopes(value: Iterable[str]) -> frozenset[str]:
    """``required_scopes`` as a set: a space-separated string or scope names, each one RFC 6749 scope-token."""
    try:
        names = (value.split(" ") if value else []) if isinstance(value, str) else list(value)
        if all(isinstance(name, str) and name and " " not in name for name in names):
            return parse_scope(" ".join(names))
    except (TypeError, InvalidClaimsError):  # here a configuration mistake, not a bad token
        pass
    raise ConfigurationError(
        "required_scopes must be scope names (no spaces, quotes, backslashes or non-ASCII), e.g. ('todos:read',)"
    )


class OAuthVerifier(TokenPipeline[AccessGrant]):
    """Turns an OAuth 2.1 access token from Better Auth's OAuth provider (RFC 9068, ``typ: at+jwt``) into a verified
    :class:`AccessGrant` for this resource server, or raises. Refuses first-party JWTs, session cookies and id_tokens
    signed by the same keys, tokens for another resource (``aud``), and key-bound (DPoP) tokens sent as bearer tokens.
    ``required_scopes`` missing from a valid token raise :class:`InsufficientScopeError` (403). Opaque tokens are
    refused, or with ``introspection=`` (a :class:`TokenIntrospection`) checked at the authorization server."""

    def __init__(
        self,
        keys: KeyProvider,
        *,
        issuer: str,
        resource: str,
        required_scopes: Iterable[str] = (),
        introspection: TokenIntrospection | None = None,
        algorithms: Iterable[str] | None = None,
        leeway: float = 0.0,
        clock: Callable[[], float] = time.time,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if introspection is not None and not isinstance(introspection, TokenIntrospection):
            raise ConfigurationError("introspection must be a TokenIntrospection (or None: opaque tokens are refused)")
        if not isinstance(issuer, str) or not issuer:
            raise ConfigurationError(
                "issuer must be the authorization server's issuer, e.g. https://auth.example.com/api/auth"
            )
        if not isinstance(resource, str) or not resource:
            raise ConfigurationError(
                "resource must be this API's resource identifier, e.g. https://api.example.com/mcp"
            )
        scopes = _required_scopes(required_scopes)
        leeway = self._check_leeway(leeway)
        super().__init__(
            keys,
            OAuthProfile(issuer, resource, leeway, scopes),
            algorithms=algorithms,
            leeway=leeway,
            clock=clock,
            max_token_bytes=max_token_bytes,
            cache_size=cache_size,
        )
        self.issuer = issuer
        self.resource = resource
        self.required_scopes = scopes
        self.introspection = introspection
        self._rules = IntrospectionRules(issuer, resource, scopes, leeway)
        if introspection is not None:
            # Only then does verify() do more than the shared pipeline. Without introspection an OAuthVerifier keeps
            # TokenPipeline's own methods: a cache hit costs a few hundred ns, and an extra call would add a third.
            self.verify = self._verify_or_introspect  # type: ignore[method-assign]
            self.averify = self._averify_or_introspect  # type: ignore[method-assign]

    @classmethod
    def for_better_auth(
        cls,
        base_url: str,
        *,
        resource: str,
        required_scopes: Iterable[str] = (),
        issuer: str | None = None,
        jwks_url: str | None = None,
        jwks_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> OAuthVerifier:
        """A verifier for access tokens that the Better Auth server at ``base_url`` issues for ``resource``.

        ``issuer`` defaults to what ``@better-auth/oauth-provider`` puts in ``iss``: the origin plus ``/api/auth``
        (pass the origin when ``jwt({ jwt: { issuer } })`` sets it so). Keys from ``{base_url}/api/auth/jwks`` (or
        ``jwks_url``), like :meth:`Verifier.for_better_auth`; other keyword arguments go to :class:`OAuthVerifier`.
        ``introspection`` may be the resource server's client credentials as a dict (``{"client_id": ...,
        "client_secret": ...}`` and other :class:`TokenIntrospection` options): opaque tokens are then checked at
        ``{base_url}/api/auth/oauth2/introspect``.
        """
        keys = remote_keys(base_url, jwks_url, jwks_options)
        introspection = options.get("introspection")
        if isinstance(introspection, Mapping):  # the client credentials: the endpoint is Better Auth's
            options["introspection"] = TokenIntrospection.for_better_auth(base_url, **introspection)
        return cls(
            keys, issuer=issuer or oauth_issuer(base_url), resource=resource, required_scopes=required_scopes, **options
        )

    def without_required_scopes(self) -> OAuthVerifier:
        """This verifier without ``required_scopes``, sharing its key provider and introspection: for a caller
        that checks scopes itself, such as an SDK that answers 403 ``insufficient_scope`` on its own."""
        return OAuthVerifier(
            self.keys,
            issuer=self.issuer,
            resource=self.resource,
            introspection=self.introspection,
            algorithms=self.algorithms,
            leeway=self.leeway,
            clock=self._clock,
            max_token_bytes=self.max_token_bytes,
            cache_size=self._cache.max_entries,
        )

    def __repr__(self) -> str:
        return (
            f"OAuthVerifier({self.keys!r}, issuer={self.issuer!r}, resource={self.resource!r}, "
            f"required_scopes={sorted(self.required_scopes)!r})"
        )

    # verify/averify with introspection configured (see __init__): opaque tokens only; every JWT takes the shared
    # pipeline unchanged.

    def _verify_or_introspect(self, token: str) -> AccessGrant:
        try:
            return TokenPipeline.verify(self, token)
        except OpaqueTokenError:
            if self.introspection is None:
                raise
        return self.introspection.grant(token, self._rules, self._clock())

    async def _averify_or_introspect(self, token: str) -> AccessGrant:
        try:
            return await TokenPipeline.averify(self, token)
        except OpaqueTokenError:
            if self.introspection is None:
                raise
        return await self.introspection.agrant(token, self._rules, self._clock())

    def _parse(self, token: str) -> ParsedToken:
        try:
            return super()._parse(token)
        except OpaqueTokenError:
            raise OpaqueTokenError(
                "opaque OAuth token, not a JWT: ask for a JWT by sending resource=... to the token endpoint, or use "
                "token introspection"
            ) from None
