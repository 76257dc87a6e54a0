"""The verified-token cache, on its own and through a Verifier: time re-checked on hits, only successes, bounded,
dropped when the key set changes, keyed by the whole token."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from betterauth_jwt import (
    ExpiredTokenError,
    Identity,
    ImmatureTokenError,
    InvalidSignatureError,
    InvalidTokenError,
    StaticJWKS,
    TokenKind,
    UnknownKeyError,
    Verifier,
)
from betterauth_jwt._cache import VerifiedTokenCache
from betterauth_jwt._jose.jwk import VerificationKey
from betterauth_jwt.testing import TokenFactory

NOW = 1_760_000_000.0


def _identity(user_id: str = "u") -> Identity:
    moment = datetime.fromtimestamp(NOW, UTC)
    return Identity(user_id=user_id, kind=TokenKind.ACCESS, issued_at=moment, expires_at=moment)


# -- VerifiedTokenCache -----------------------------------------------------------------------------------------------


def test_a_hit_is_honoured_only_inside_its_window() -> None:
    cache = VerifiedTokenCache(10)
    identity = _identity()
    cache.put("t", identity, valid_from=100, valid_until=200, generation=0)
    assert cache.get("t", 100, 0) is identity
    assert cache.get("t", 199.999, 0) is identity
    assert cache.get("t", 200, 0) is None  # expiry is exclusive, as in the claims policy
    assert len(cache) == 0  # and the stale entry is gone
    cache.put("t", identity, valid_from=100, valid_until=200, generation=0)
    assert cache.get("t", 99.9, 0) is None  # a clock that moved back does not serve an immature token
    assert len(cache) == 0


def test_a_different_generation_is_a_miss_and_a_new_one_clears_everything() -> None:
    cache = VerifiedTokenCache(10)
    cache.put("a", _identity("a"), 0, 1e12, generation=1)
    cache.put("b", _identity("b"), 0, 1e12, generation=1)
    assert cache.get("a", NOW, 2) is None
    cache.put("c", _identity("c"), 0, 1e12, generation=2)
    assert len(cache) == 1
    assert cache.get("b", NOW, 1) is None


def test_the_size_is_bounded_and_the_oldest_goes_first() -> None:
    cache = VerifiedTokenCache(3)
    for name in "abcde":
        cache.put(name, _identity(name), 0, 1e12, 0)
    assert len(cache) == 3
    assert cache.get("a", NOW, 0) is None
    assert cache.get("b", NOW, 0) is None
    assert [cache.get(name, NOW, 0).user_id for name in "cde"] == ["c", "d", "e"]  # type: ignore[union-attr]


def test_a_token_verified_again_while_queued_stays_bounded_and_correct() -> None:
    cache = VerifiedTokenCache(2)
    cache.put("a", _identity("a"), 0, 100, 0)
    cache.put("b", _identity("b"), 0, 1e12, 0)
    assert cache.get("a", 100, 0) is None  # expired: dropped from the dict, still queued
    cache.put("a", _identity("a2"), 0, 1e12, 0)  # verified again: queued a second time
    assert len(cache._order) == 2  # the older slot of "a" was its own turn to go: nothing else was evicted
    assert cache.get("a", NOW, 0).user_id == "a2"  # type: ignore[union-attr]
    assert cache.get("b", NOW, 0).user_id == "b"  # type: ignore[union-attr]
    for name in "cdefgh":  # however tokens come and go, the queue (and so the memory) stays within max_entries
        cache.put(name, _identity(name), 0, 1e12, 0)
        cache.get("c", 1e13, 0)
        assert len(cache._order) <= 2
        assert len(cache) <= 2
    assert [cache.get(name, NOW, 0).user_id for name in "gh"] == ["g", "h"]  # type: ignore[union-attr]


def test_size_zero_disables_the_cache() -> None:
    cache = VerifiedTokenCache(0)
    cache.put("a", _identity(), 0, 1e12, 0)
    assert len(cache) == 0
    assert cache.get("a", NOW, 0) is None


def test_unhashable_input_is_a_miss_not_a_type_error() -> None:
    assert VerifiedTokenCache(3).get(["not", "a", "token"], NOW, 0) is None  # type: ignore[arg-type]


def test_keys_are_whole_token_strings() -> None:
    cache = VerifiedTokenCache(3)
    cache.put("h.p.s", _identity(), 0, 1e12, 0)
    for near in ("h.p.s ", "h.p.S", "h.p", " h.p.s", "h.p.s.s"):
        assert cache.get(near, NOW, 0) is None


# -- through the Verifier ---------------------------------------------------------------------------------------------


class SwappableKeys:
    """A key provider whose key set (and generation) a test can replace, like a RemoteJWKS after a refresh."""

    def __init__(self, jwks: dict[str, object]) -> None:
        self._static = StaticJWKS(jwks)
        self.generation = 1
        self.lookups = 0

    def replace(self, jwks: dict[str, object]) -> None:
        self._static = StaticJWKS(jwks)
        self.generation += 1

    @property
    def algorithms(self) -> frozenset[str]:
        return frozenset({"EdDSA"})

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        self.lookups += 1
        return self._static.get_keys(kid, alg)

    async def aget_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        return self.get_keys(kid, alg)


def test_hits_skip_the_work_and_return_the_same_identity() -> None:
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    keys = SwappableKeys(factory.jwks)
    verifier = Verifier(keys, issuer=factory.issuer, audience=factory.issuer, clock=lambda: NOW)
    token = factory.access_token()
    first = verifier.verify(token)
    assert verifier.verify(token) is first
    assert keys.lookups == 1


def test_hits_recheck_expiry_and_not_before() -> None:
    now = [NOW]
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    verifier = factory.verifier(clock=lambda: now[0])
    token = factory.sign(factory.access_claims(nbf=NOW + 10, expires_in=60))
    now[0] = NOW + 10
    assert verifier.verify(token).user_id == "user_1"
    now[0] = NOW + 9  # the clock stepped back: the cached success must not be served
    with pytest.raises(ImmatureTokenError):
        verifier.verify(token)
    now[0] = NOW + 30
    assert verifier.verify(token).user_id == "user_1"
    now[0] = NOW + 60
    with pytest.raises(ExpiredTokenError):
        verifier.verify(token)


@pytest.mark.anyio
async def test_averify_shares_the_cache_and_its_rules() -> None:
    now = [NOW]
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    verifier = factory.verifier(clock=lambda: now[0])
    token = factory.access_token(expires_in=60)
    first = await verifier.averify(token)
    assert verifier.verify(token) is first
    now[0] = NOW + 60
    with pytest.raises(ExpiredTokenError):
        await verifier.averify(token)


def test_failures_are_never_cached() -> None:
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    keys = SwappableKeys(TokenFactory("EdDSA").jwks)  # keys that do not know the kid yet
    verifier = Verifier(keys, issuer=factory.issuer, audience=factory.issuer, clock=lambda: NOW)
    token = factory.access_token()
    for _ in range(3):
        with pytest.raises(UnknownKeyError):
            verifier.verify(token)
    assert keys.lookups == 3  # every attempt did the work again
    keys.replace(factory.jwks)  # the key arrives (e.g. a JWKS refresh): the same token now verifies
    assert verifier.verify(token).user_id == "user_1"


def test_a_changed_key_set_drops_cached_successes() -> None:
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    keys = SwappableKeys(factory.jwks)
    verifier = Verifier(keys, issuer=factory.issuer, audience=factory.issuer, clock=lambda: NOW)
    token = factory.access_token()
    assert verifier.verify(token).user_id == "user_1"
    keys.replace(TokenFactory("EdDSA").jwks)  # the signing key was removed from the set
    with pytest.raises(UnknownKeyError):
        verifier.verify(token)


def test_the_cache_is_keyed_by_the_whole_token() -> None:
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    verifier = factory.verifier()
    token = factory.access_token()
    verifier.verify(token)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BA'}"
    with pytest.raises(InvalidSignatureError):
        verifier.verify(forged)  # same header and claims as a cached success, different signature
    other = TokenFactory("EdDSA", clock=lambda: NOW)
    with pytest.raises(InvalidTokenError):
        verifier.verify(f"{header}.{payload}.{other.access_token().split('.')[2]}")


def test_the_verifier_cache_is_bounded() -> None:
    factory = TokenFactory("HS256", clock=lambda: NOW)
    verifier = factory.verifier(cache_size=5)
    for n in range(20):
        verifier.verify(factory.access_token(f"user_{n}"))
    assert len(verifier._cache) == 5


def test_clear_cache_forgets_everything() -> None:
    factory = TokenFactory("HS256", clock=lambda: NOW)
    verifier = factory.verifier()
    verifier.verify(factory.access_token())
    verifier.clear_cache()
    assert len(verifier._cache) == 0


def test_each_verifier_has_its_own_cache() -> None:
    # A success for one verifier's policy must not be served to another with a different policy.
    factory = TokenFactory("HS256", clock=lambda: NOW)
    token = factory.access_token()
    assert factory.verifier().verify(token).user_id == "user_1"
    with pytest.raises(InvalidTokenError):
        factory.verifier(audience="https://elsewhere.example").verify(token)
