"""The :class:`Verifier`: parse, find the key, check the signature, apply the claims policy, build the identity."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ._cache import VerifiedTokenCache
from ._errors import ConfigurationError, InvalidSignatureError
from ._jose import algorithms as algs
from ._jose.jwk import VerificationKey
from ._jose.token import DEFAULT_MAX_TOKEN_BYTES, ParsedToken, parse_token
from ._keys.fixed import KeyProvider, SharedSecret
from ._kinds.claims import ClaimsPolicy
from ._kinds.identity import Identity, TokenKind, identity_from_claims

DEFAULT_CACHE_SIZE = 10_000
BETTER_AUTH_BASE_PATH = "/api/auth"


def better_auth_origin(base_url: str) -> str:
    """The origin Better Auth puts in ``iss`` and ``aud``: ``new URL(baseURL).origin`` (no path, no default port)."""
    if not isinstance(base_url, str):
        raise ConfigurationError("base_url must be a string such as https://app.example.com")
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError:
        raise ConfigurationError("base_url is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("base_url must be an http(s) URL such as https://app.example.com")
    host = parts.hostname
    if not host.isascii():  # new URL() gives an internationalised host in its punycode (ASCII) form
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ConfigurationError("base_url has a host name that is not valid") from None
    host = host if ":" not in host else f"[{host}]"
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port in (None, default_port) else f"{scheme}://{host}:{port}"


class Verifier:
    """Turns a Better Auth token into a verified :class:`Identity`, or raises an :class:`InvalidTokenError`.

    Thread-safe and shareable: build one at start-up and use it for every request.
    """

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
        if not isinstance(keys, KeyProvider):
            raise ConfigurationError("keys must be a KeyProvider such as SharedSecret, StaticJWKS or RemoteJWKS")
        if not isinstance(kind, TokenKind):
            raise ConfigurationError("kind must be a TokenKind")
        if kind is TokenKind.SESSION:
            raise ConfigurationError("the session_token cookie is not a JWT: verify it with SessionVerifier")
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
        self.algorithms = self._allow_list(keys, algorithms)
        if not (isinstance(leeway, int | float) and 0 <= leeway <= 300):
            raise ConfigurationError("leeway must be between 0 and 300 seconds")
        if not 256 <= max_token_bytes <= 1024 * 1024:
            raise ConfigurationError("max_token_bytes must be between 256 and 1048576")
        self.keys = keys
        self.kind = kind
        self.issuer = issuer
        self.audiences = audiences
        self.leeway = float(leeway)
        self.max_token_bytes = max_token_bytes
        self._clock = clock
        self._policy = ClaimsPolicy(kind, issuer, audiences, float(leeway))
        self._cache = VerifiedTokenCache(cache_size)
        self._verifications = 0  # done in full, successful or not: the cache misses of Verifier.stats

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
            from ._keys.remote import RemoteJWKS  # the HTTP client is only imported by those who fetch keys

            path = urlsplit(base_url).path.rstrip("/")
            if not path.endswith(BETTER_AUTH_BASE_PATH):
                path += BETTER_AUTH_BASE_PATH
            keys = RemoteJWKS(jwks_url or f"{origin}{path}/jwks", **(jwks_options or {}))
        options.setdefault("issuer", origin)
        options.setdefault("audience", origin)
        return cls(keys, **options)

    def __repr__(self) -> str:
        return f"Verifier({self.keys!r}, kind={self.kind}, issuer={self.issuer!r}, audience={sorted(self.audiences)!r})"

    # Both entry points share everything but the key lookup, the one step that may do I/O.

    def verify(self, token: str) -> Identity:
        """Verify ``token`` and return who it identifies; raise :class:`InvalidTokenError` (401) or
        :class:`KeysUnavailableError` (503)."""
        now = self._clock()
        generation = self.keys.generation
        cached = self._cache.get(token, now, generation)
        if cached is not None:
            return cached
        self._verifications += 1
        parsed = self._parse(token)
        keys = self.keys.get_keys(parsed.kid, parsed.alg)
        return self._accept(token, parsed, keys, now, generation)

    async def averify(self, token: str) -> Identity:
        """Like :meth:`verify`; never blocks the event loop (a key fetch, if needed, is asynchronous)."""
        now = self._clock()
        generation = self.keys.generation
        cached = self._cache.get(token, now, generation)
        if cached is not None:
            return cached
        self._verifications += 1
        parsed = self._parse(token)
        keys = await self.keys.aget_keys(parsed.kid, parsed.alg)
        return self._accept(token, parsed, keys, now, generation)

    def _cached_identity(self, token: str) -> Identity | None:
        """The identity of ``token`` if this verifier accepted it before and still accepts it now (the cache re-checks
        its time window and the key set), else ``None``; never verifies. Lets adapters settle the common case without
        a coroutine."""
        return self._cache.get(token, self._clock(), self.keys.generation)

    def _parse(self, token: str) -> ParsedToken:
        return parse_token(token, allowed_algorithms=self.algorithms, max_bytes=self.max_token_bytes)

    def _accept(
        self, token: str, parsed: ParsedToken, keys: Sequence[VerificationKey], now: float, generation: int
    ) -> Identity:
        for key in keys:  # normally one key (a kid, or a single shared secret); a loop, not any(), saves a generator
            if key.verify(parsed.alg, parsed.signing_input, parsed.signature):
                break
        else:
            raise InvalidSignatureError("the token's signature does not verify")
        valid_from, valid_until = self._policy.check(parsed.alg, parsed.typ, parsed.claims, now)
        identity = identity_from_claims(self.kind, parsed.claims, parsed.payload_segment)
        # Stored under the generation read *before* the key lookup: if the keys changed meanwhile, the entry is stale.
        self._cache.put(token, identity, valid_from, valid_until, generation)
        return identity

    @property
    def stats(self) -> dict[str, int]:
        """Counters since start, for metrics (``betterauth_jwt.metrics``): ``cache_hits``, verifications answered by
        the verified-token cache, and ``cache_misses``, verifications done in full."""
        return {"cache_hits": self._cache.hits, "cache_misses": self._verifications}

    def clear_cache(self) -> None:
        """Forget every cached verification (e.g. after revoking a secret)."""
        self._cache.clear()
