from __future__ import annotations

import pytest

from betterauth_jwt import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidSignatureError,
    InvalidTokenError,
    StaticJWKS,
    TokenKind,
    Verifier,
    WrongTokenKindError,
)
from betterauth_jwt.testing import TokenFactory

NOW = 1_760_000_000.0
ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256", "HS256"]


@pytest.fixture(params=ALGORITHMS)
def factory(request: pytest.FixtureRequest) -> TokenFactory:
    return TokenFactory(request.param, clock=lambda: NOW)


def test_access_token_round_trip(factory: TokenFactory) -> None:
    identity = factory.verifier().verify(factory.access_token("user_1", role="admin"))
    assert identity.user_id == "user_1"
    assert identity.email == "user_1@example.com"
    assert identity.kind is TokenKind.ACCESS
    assert identity.claims["role"] == "admin"
    assert identity.expires_at.timestamp() == NOW + 900


def test_session_cookie_round_trip(factory: TokenFactory) -> None:
    identity = factory.verifier(TokenKind.SESSION_COOKIE).verify(factory.session_cookie("user_2"))
    assert identity.user_id == "user_2"
    assert identity.session_id is not None
    assert identity.kind is TokenKind.SESSION_COOKIE


def test_each_kind_rejects_the_other(factory: TokenFactory) -> None:
    with pytest.raises(WrongTokenKindError):
        factory.verifier().verify(factory.session_cookie())
    with pytest.raises(WrongTokenKindError):
        factory.verifier(TokenKind.SESSION_COOKIE).verify(factory.access_token())


@pytest.mark.anyio
async def test_averify_matches_verify(factory: TokenFactory) -> None:
    token = factory.access_token()
    assert await factory.verifier().averify(token) == factory.verifier().verify(token)


def test_expiry_is_rechecked_on_cache_hits() -> None:
    now = [NOW]
    factory = TokenFactory("EdDSA", clock=lambda: now[0])
    verifier = factory.verifier()
    token = factory.access_token(expires_in=60)
    assert verifier.verify(token).user_id == "user_1"
    now[0] = NOW + 60
    with pytest.raises(ExpiredTokenError):
        verifier.verify(token)


def test_failures_are_not_cached() -> None:
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    verifier = factory.verifier()
    token = factory.access_token()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(InvalidSignatureError):
            verifier.verify(forged)


def test_access_verifier_requires_issuer_and_audience() -> None:
    keys = StaticJWKS(TokenFactory("EdDSA").jwks)
    with pytest.raises(ConfigurationError, match="issuer"):
        Verifier(keys)


def test_for_better_auth_derives_origin() -> None:
    verifier = Verifier.for_better_auth("https://App.Example.com:443/some/path/", secret="x" * 40)
    assert verifier.issuer == "https://app.example.com"
    assert verifier.audiences == frozenset({"https://app.example.com"})


def test_errors_never_contain_the_token(factory: TokenFactory) -> None:
    token = factory.access_token()
    for bad in (token + "x", token.replace(".", "..", 1), token[:-1]):
        with pytest.raises(InvalidTokenError) as caught:
            factory.verifier().verify(bad)
        for part in bad.split("."):
            if len(part) > 8:
                assert part not in str(caught.value)
