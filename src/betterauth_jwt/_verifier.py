"""The one verification pipeline: parse, find the key, check the signature, apply a kind's profile, cache the result.

:class:`Verifier` (first-party JWTs and the session cookie cache, result :class:`Identity`) and :class:`OAuthVerifier`
(OAuth access tokens, result :class:`AccessGrant`) are this pipeline with different profiles (``_kinds/``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from ._cache import VerifiedTokenCache
from ._errors import ConfigurationError, InvalidClaimsError, InvalidSignatureError, OpaqueTokenError
from ._jose import algorithms as algs
from ._jose.jwk import VerificationKey
from ._jose.token import DEFAULT_MAX_TOKEN_BYTES, ParsedToken, parse_token
from ._keys.better_auth import better_auth_origin, jwks_url, oauth_issuer
from ._keys.fixed import KeyProvider, SharedSecret, raw_secrets
from ._kinds.access import AccessProfile
from ._kinds.claims import Profile
from ._kinds.cookie_cache import CookieCacheFormats
from ._kinds.identity import Identity, TokenKind
from ._kinds.oauth import AccessGrant, OAuthProfile, parse_scope
from ._kinds.session_cache import SessionCacheProfile
from ._stores.introspection import IntrospectionRules, TokenIntrospection

__all__ = ["DEFAULT_CACHE_SIZE", "OAuthVerifier", "TokenPipeline", "Verifier"]

DEFAULT_CACHE_SIZE = 10_000
Result = TypeVar("Result")


def _remote_keys(base_url: str, url: str | None, options: Mapping[str, Any] | None) -> KeyProvider:
    from ._keys.remote import RemoteJWKS  # the HTTP client is only imported by those who fetch keys

    return RemoteJWKS(url or jwks_url(base_url), **(options or {}))


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


class TokenPipeline(Generic[Result]):
    """What every JWT verifier shares. Thread-safe and shareable: build one at start-up, use it for every request."""

    def __init__(
        self,
        keys: KeyProvider,
        profile: Profile[Result],
        *,
        algorithms: Iterable[str] | None,
        leeway: float,
        clock: Callable[[], float],
        max_token_bytes: int,
        cache_size: int,
    ) -> None:
        if not isinstance(keys, KeyProvider):
            raise ConfigurationError("keys must be a KeyProvider such as SharedSecret, StaticJWKS or RemoteJWKS")
        self.algorithms = self._allow_list(keys, algorithms)
        if not 256 <= max_token_bytes <= 1024 * 1024:
            raise ConfigurationError("max_token_bytes must be between 256 and 1048576")
        self.keys = keys
        self.leeway = float(leeway)
        self.max_token_bytes = max_token_bytes
        self._clock = clock
        self._profile = profile
        self._cache: VerifiedTokenCache[Result] = VerifiedTokenCache(cache_size)
        self._verifications = 0  # done in full, successful or not: the cache misses of stats

    @staticmethod
    def _check_leeway(leeway: float) -> float:
        if not (isinstance(leeway, int | float) and 0 <= leeway <= 300):
            raise ConfigurationError("leeway must be between 0 and 300 seconds")
        return float(leeway)

    @staticmethod
    def _allow_list(keys: KeyProvider, algorithms: Iterable[str] | None) -> frozenset[str]:
        held = keys.algorithms
        if algorithms is None:
            return held
        requested = frozenset([algorithms] if isinstance(algorithms, str) else algorithms)
        if not requested:
            raise ConfigurationError("algorithms must not be empty (leave it out to accept what the keys can verify)")
        unknown = requested - algs.SUPPORTED_ALGORITHMS
        if unknown:
            raise ConfigurationError(f"unsupported algorithms: {sorted(unknown)} (never 'none')")
        allowed = requested & held
        if not allowed:
            raise ConfigurationError("none of the allowed algorithms can be verified with the configured keys")
        return allowed

    # Both entry points share everything but the key lookup, the one step that may do I/O. The size cap comes before
    # any work on the token, the cache's hash of it included (a str has at least as many UTF-8 bytes as characters).

    def verify(self, token: str) -> Result:
        """Verify ``token``; raise :class:`InvalidTokenError` (401) or :class:`KeysUnavailableError` (503)."""
        now = self._clock()
        generation = self.keys.generation
        if type(token) is str and len(token) <= self.max_token_bytes:
            cached = self._cache.get(token, now, generation)
            if cached is not None:
                return cached
        self._verifications += 1
        parsed = self._parse(token)
        keys = self.keys.get_keys(parsed.kid, parsed.alg)
        return self._accept(token, parsed, keys, now, generation)

    async def averify(self, token: str) -> Result:
        """Like :meth:`verify`; never blocks the event loop (a key fetch, if needed, is asynchronous)."""
        now = self._clock()
        generation = self.keys.generation
        if type(token) is str and len(token) <= self.max_token_bytes:
            cached = self._cache.get(token, now, generation)
            if cached is not None:
                return cached
        self._verifications += 1
        parsed = self._parse(token)
        keys = await self.keys.aget_keys(parsed.kid, parsed.alg)
        return self._accept(token, parsed, keys, now, generation)

    def _cached_identity(self, token: str) -> Result | None:
        """The result for ``token`` if this verifier accepted it before and still accepts it now (the cache re-checks
        its time window and the key set), else ``None``; never verifies. Lets adapters settle the common case without
        a coroutine."""
        if len(token) > self.max_token_bytes:
            return None
        return self._cache.get(token, self._clock(), self.keys.generation)

    def _parse(self, token: str) -> ParsedToken:
        return parse_token(token, allowed_algorithms=self.algorithms, max_bytes=self.max_token_bytes)

    def _accept(
        self, token: str, parsed: ParsedToken, keys: Sequence[VerificationKey], now: float, generation: int
    ) -> Result:
        for key in keys:  # normally one key (a kid, or a single shared secret); a loop, not any(), saves a generator
            if key.verify(parsed.alg, parsed.signing_input, parsed.signature):
                break
        else:
            raise InvalidSignatureError("the token's signature does not verify")
        profile = self._profile
        valid_from, valid_until = profile.check(parsed.alg, parsed.typ, parsed.claims, now)
        result = profile.build(parsed.claims, parsed.payload_segment)
        # Stored under the generation read *before* the key lookup: if the keys changed meanwhile, the entry is stale.
        self._cache.put(token, result, valid_from, valid_until, generation)
        return result

    @property
    def stats(self) -> dict[str, int]:
        """Counters since start, for metrics (``betterauth_jwt.metrics``): ``cache_hits``, verifications answered by
        the verified-token cache, and ``cache_misses``, verifications done in full."""
        return {"cache_hits": self._cache.hits, "cache_misses": self._verifications}

    def clear_cache(self) -> None:
        """Forget every cached verification (e.g. after revoking a secret)."""
        self._cache.clear()


class Verifier(TokenPipeline[Identity]):
    """Turns a first-party Better Auth token (a JWT-plugin access token, or the ``session_data`` cookie cache) into a
    verified :class:`Identity`, or raises an :class:`InvalidTokenError`. Refuses OAuth access tokens and id_tokens
    signed by the same keys: use :class:`OAuthVerifier` for those."""

    def __init__(
        self,
        keys: KeyProvider,
        *,
        issuer: str | None = None,
        audience: str | Iterable[str] | None = None,
        kind: TokenKind = TokenKind.ACCESS,
        algorithms: Iterable[str] | None = None,
        leeway: float = 0.0,
        clock: Callable[[], float] = time.time,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if not isinstance(kind, TokenKind) or kind not in (TokenKind.ACCESS, TokenKind.SESSION_COOKIE):
            raise ConfigurationError("kind must be TokenKind.ACCESS or TokenKind.SESSION_COOKIE")
        audiences = frozenset([audience] if isinstance(audience, str) else audience or ())
        if issuer is not None and (not isinstance(issuer, str) or not issuer):
            raise ConfigurationError("issuer must be a non-empty string")
        if not all(isinstance(a, str) and a for a in audiences):
            raise ConfigurationError("audience must be a non-empty string or strings")
        if kind is TokenKind.ACCESS and (issuer is None or not audiences):
            raise ConfigurationError(
                "an access-token verifier needs issuer= and audience= (for Better Auth, both are the origin of its "
                "baseURL); Verifier.for_better_auth(base_url) sets them for you"
            )
        leeway = self._check_leeway(leeway)
        profile: Profile[Identity] = (
            AccessProfile(issuer, audiences, leeway)
            if kind is TokenKind.ACCESS
            else SessionCacheProfile(issuer, leeway)
        )
        super().__init__(
            keys,
            profile,
            algorithms=algorithms,
            leeway=leeway,
            clock=clock,
            max_token_bytes=max_token_bytes,
            cache_size=cache_size,
        )
        self.kind = kind
        self.issuer = issuer
        self.audiences = audiences
        # The cookie cache's compact and jwe strategies are not JWS: with the secret, they are read beside it.
        self._cookie_formats = (
            CookieCacheFormats(raw_secrets(keys), leeway=leeway, max_bytes=max_token_bytes)
            if kind is TokenKind.SESSION_COOKIE and isinstance(keys, SharedSecret)
            else None
        )

    def verify(self, token: str) -> Identity:
        if self._cookie_formats is not None and self._cookie_formats.recognises(token):
            return self._cookie_formats.verify(token, self._clock())[0]
        return super().verify(token)

    async def averify(self, token: str) -> Identity:
        if self._cookie_formats is not None and self._cookie_formats.recognises(token):
            return self._cookie_formats.verify(token, self._clock())[0]
        return await super().averify(token)

    @classmethod
    def for_better_auth(
        cls,
        base_url: str,
        *,
        secret: str | bytes | Sequence[str | bytes] | None = None,
        jwks_url: str | None = None,
        jwks_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Verifier:
        """A verifier for the Better Auth server at ``base_url``, configured the way Better Auth issues its tokens.

        JWKS from ``{base_url}/api/auth/jwks`` (or ``jwks_url``), fetched by a ``RemoteJWKS`` built with
        ``jwks_options`` (e.g. ``{"allow_insecure_http": True}`` for ``http://auth:3000`` inside a private network);
        with ``secret``, HS256 with that shared secret instead. ``iss`` and ``aud`` must both be the origin of
        ``base_url``. Other keyword arguments go to :class:`Verifier`.
        """
        origin = better_auth_origin(base_url)
        keys: KeyProvider
        if secret is not None:
            if jwks_url is not None or jwks_options is not None:
                raise ConfigurationError("give either secret= or jwks_url=/jwks_options=, not both")
            keys = SharedSecret(secret)
        else:
            keys = _remote_keys(base_url, jwks_url, jwks_options)
        options.setdefault("issuer", origin)
        options.setdefault("audience", origin)
        return cls(keys, **options)

    def __repr__(self) -> str:
        return f"Verifier({self.keys!r}, kind={self.kind}, issuer={self.issuer!r}, audience={sorted(self.audiences)!r})"


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
        keys = _remote_keys(base_url, jwks_url, jwks_options)
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
