"""Where verification keys come from: the :class:`KeyProvider` protocol and the two providers that need no network.

:class:`SharedSecret` holds HMAC secrets (Better Auth's cookie cache, or a custom HS256 signer); :class:`StaticJWKS` holds
a public key set given at start-up. ``RemoteJWKS`` (in ``remote``) implements the same protocol over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from .._errors import ConfigurationError, UnknownKeyError, UnsupportedTokenError
from .._jose import algorithms as algs
from .._jose.json import JSONError, loads_strict
from .._jose.jwk import KeyRejected, KeySet, VerificationKey, hmac_key
from .._logging import logger

# Published in Better Auth's documentation and source as defaults: anyone can sign with them.
_PUBLIC_DEFAULT_SECRETS = frozenset({b"better-auth-secret-12345678901234567890", b"better-auth-secret-123456789"})


@runtime_checkable
class KeyProvider(Protocol):
    """Supplies the keys a :class:`~betterauth_jwt.Verifier` checks signatures with.

    ``get_keys``/``aget_keys`` return the candidate keys for a token's ``kid`` and ``alg`` (normally one), or raise
    :class:`UnknownKeyError` (a bad token: 401) or :class:`KeysUnavailableError` (an outage: 503). ``generation``
    changes whenever the key set changes, so that cached verifications made with a removed key are dropped.
    """

    @property
    def algorithms(self) -> frozenset[str]:
        """The algorithms this provider can verify; the verifier's default allow-list."""
        ...

    @property
    def generation(self) -> int: ...

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]: ...

    async def aget_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]: ...


def select_keys(key_set: KeySet, kid: str | None, alg: str) -> tuple[VerificationKey, ...]:
    """The keys of ``key_set`` a token with this ``kid`` and ``alg`` may be verified with (shared by JWKS providers)."""
    if kid is not None:
        key = key_set.by_kid.get(kid)
        if key is None:
            raise UnknownKeyError("no key with the token's kid is known")
        if alg not in key.checks:
            raise UnsupportedTokenError("the token's alg does not match its key's algorithm", code="algorithm_mismatch")
        return (key,)
    candidates = tuple(key for key in key_set.keys if alg in key.checks)
    if len(candidates) != 1:
        # Better Auth always sends a kid; without one, only an unambiguous single key may be tried.
        raise UnknownKeyError("the token has no kid and the key set has no single key for its algorithm")
    return candidates


def _secret_bytes(secret: object) -> bytes:
    if isinstance(secret, str):
        return secret.encode("utf-8")  # Better Auth signs with the raw UTF-8 bytes of the secret, no derivation
    if isinstance(secret, bytes | bytearray):
        return bytes(secret)
    raise ConfigurationError("a shared secret must be str or bytes")


class _FixedKeys:
    """What the providers whose keys never change share: a constant generation and an async lookup without I/O."""

    _algorithms: frozenset[str]

    @property
    def algorithms(self) -> frozenset[str]:
        return self._algorithms

    @property
    def generation(self) -> int:
        return 0

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        raise NotImplementedError

    async def aget_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        return self.get_keys(kid, alg)


class SharedSecret(_FixedKeys):
    """One or more HMAC secrets, current first, so a secret can be rotated without rejecting tokens signed by the old one.

    Refuses secrets shorter than the algorithm's hash (32 bytes for HS256) and Better Auth's public default secrets.
    """

    def __init__(self, secret: str | bytes | Sequence[str | bytes], *, algorithms: Sequence[str] = ("HS256",)) -> None:
        secrets: list[str | bytes]
        if isinstance(secret, str | bytes | bytearray):
            secrets = [secret]
        elif isinstance(secret, Sequence):
            secrets = [*secret]
        else:  # e.g. None from an unset environment variable: say so here, not with a TypeError
            raise ConfigurationError("SharedSecret takes a secret (str or bytes) or a list of them, current first")
        if not secrets:
            raise ConfigurationError("SharedSecret needs at least one secret")
        allowed = frozenset(algorithms)
        if not allowed or not allowed <= algs.HMAC_ALGORITHMS:
            raise ConfigurationError("SharedSecret algorithms must be a non-empty subset of HS256, HS384, HS512")
        min_bytes = max(algs.HMAC_MIN_KEY_BYTES[alg] for alg in allowed)
        keys: list[VerificationKey] = []
        raws: list[bytes] = []
        for position, value in enumerate(secrets):
            raw = _secret_bytes(value)
            if raw.strip() in _PUBLIC_DEFAULT_SECRETS:
                raise ConfigurationError(
                    f"secret #{position} is Better Auth's published default secret; set BETTER_AUTH_SECRET to a random "
                    "value (e.g. `openssl rand -base64 32`)"
                )
            if len(raw) < min_bytes:
                raise ConfigurationError(
                    f"secret #{position} is {len(raw)} bytes; at least {min_bytes} random bytes are required "
                    "(e.g. `openssl rand -base64 32`)"
                )
            keys.append(hmac_key(raw, allowed))
            raws.append(raw)
        self._keys = tuple(keys)
        self._raw = tuple(raws)  # for Better Auth's cookie-cache formats that are not JWS (raw_secrets)
        self._algorithms = allowed

    def __repr__(self) -> str:  # never show the secrets
        return f"SharedSecret(<{len(self._keys)} secret(s)>, algorithms={sorted(self._algorithms)})"

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        if alg not in self._algorithms:
            raise UnsupportedTokenError(
                "the token's alg does not match the shared secret's algorithm", code="algorithm_mismatch"
            )
        return self._keys


def log_rejected_members(key_set: KeySet, source: str) -> None:
    for name, reason in key_set.rejected:
        # %r: a kid comes from the key set's publisher and must not be able to forge log lines (newlines, escapes).
        logger.warning("JWKS member %r from %s refused: %s", name, source, reason)


class StaticJWKS(_FixedKeys):
    """A public key set fixed at start-up (a dict, or JSON text). Bad members are skipped and logged; none left is an error."""

    def __init__(self, jwks: Mapping[str, object] | str | bytes) -> None:
        document: object = jwks
        if isinstance(jwks, str | bytes):
            try:
                document = loads_strict(jwks)
            except JSONError as exc:
                raise ConfigurationError(f"StaticJWKS: the key set is not valid JSON ({exc})") from None
        try:
            key_set = KeySet.from_jwks(document)
        except KeyRejected as exc:
            raise ConfigurationError(f"StaticJWKS: {exc}") from None
        log_rejected_members(key_set, "StaticJWKS")
        if not key_set.keys:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in key_set.rejected) or "the set is empty"
            raise ConfigurationError(f"StaticJWKS: no usable key ({reasons})")
        self.key_set = key_set
        self._algorithms = frozenset().union(*(key.algorithms for key in key_set.keys))

    def __repr__(self) -> str:
        return f"StaticJWKS(kids={sorted(self.key_set.by_kid)})"

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        return select_keys(self.key_set, kid, alg)


def raw_secrets(secret: SharedSecret) -> tuple[bytes, ...]:
    """The secrets' bytes, current first: Better Auth's ``compact`` cookie cache signs with the current one, its ``jwe``
    cookie cache derives keys from each. Never logged, never shown."""
    return secret._raw
