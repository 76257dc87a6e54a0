"""The one verification pipeline: parse, find the key, check the signature, apply a kind's profile, cache the result.

:class:`Verifier` (first-party JWTs and the session cookie cache, result :class:`Identity`) and ``OAuthVerifier``
(``_oauth_verifier.py``: OAuth access tokens, result ``AccessGrant``) are this pipeline with different profiles
(``_kinds/``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from ._cache import VerifiedTokenCache
from ._errors import ConfigurationError, InvalidClaimsError, InvalidSignatureError
from ._jose import algorithms as algs
from ._jose.jwk import VerificationKey
from ._jose.token import DEFAULT_MAX_TOKEN_BYTES, ParsedToken, parse_token
from ._keys.better_auth import better_auth_origin, jwks_url
from ._keys.fixed import KeyProvider, SharedSecret, raw_secrets
from ._kinds.access import AccessProfile
from ._kinds.claims import Profile
from ._kinds.cookie_cache import CookieCacheFormats
from ._kinds.identity import Identity, TokenKind
from ._kinds.session_cache import SessionCacheProfile
from ._logging import logger, token_fingerprint

__all__ = ["DEFAULT_CACHE_SIZE", "TokenPipeline", "Verifier", "remote_keys"]

DEFAULT_CACHE_SIZE = 10_000
Result = TypeVar("Result")


def remote_keys(base_url: str, url: str | None, options: Mapping[str, Any] | None) -> KeyProvider:
    from ._keys.remote import RemoteJWKS  # the HTTP client is only imported by those who fetch keys

    return RemoteJWKS(url or jwks_url(base_url), **(options or {}))


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
        try:
            valid_from, valid_until = profile.check(parsed.alg, parsed.typ, parsed.claims, now)
        except InvalidClaimsError as exc:
            if exc.mismatch is not None:
                # The commonest configuration mistake (iss/aud from another origin): the values settle it, so the log
                # says them; the client's description stays generic, and the token appears only as its fingerprint.
                logger.info("token %s refused: %s: %s", token_fingerprint(token), exc.code, exc.mismatch)
            raise
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
        if self._cookie_formats is not None:
            # Only then does verify() look at more than JWS: every other Verifier keeps TokenPipeline's own methods, so
            # a cache hit (a few hundred ns) pays for no extra call.
            self.verify = self._verify_any_format  # type: ignore[method-assign]
            self.averify = self._averify_any_format  # type: ignore[method-assign]

    def _verify_any_format(self, token: str) -> Identity:
        if self._cookie_formats is not None and self._cookie_formats.recognises(token):
            return self._cookie_formats.verify(token, self._clock())[0]
        return TokenPipeline.verify(self, token)

    async def _averify_any_format(self, token: str) -> Identity:
        if self._cookie_formats is not None and self._cookie_formats.recognises(token):
            return self._cookie_formats.verify(token, self._clock())[0]
        return await TokenPipeline.averify(self, token)

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
            keys = remote_keys(base_url, jwks_url, jwks_options)
        options.setdefault("issuer", origin)
        options.setdefault("audience", origin)
        return cls(keys, **options)

    def __repr__(self) -> str:
        return f"Verifier({self.keys!r}, kind={self.kind}, issuer={self.issuer!r}, audience={sorted(self.audiences)!r})"
