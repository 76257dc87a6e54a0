"""A token is only as good as the key that signed it: any key the provider does not hold is refused, whatever the token
says about itself (its kid, its alg, its claims)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from betterauth_jwt import InvalidSignatureError, SharedSecret, StaticJWKS, TokenKind, UnknownKeyError, Verifier
from betterauth_jwt.testing import TokenFactory, generate_private_key, public_jwk, sign_compact

from ._support import (
    ALG_KIND,
    ALGORITHMS,
    NOW,
    assert_forgery_rejected,
    decode_segment,
    factory,
    foreign_key,
    genuine_claims,
    genuine_token,
    rotated_factory,
    scaled,
    verifier,
)

ASYMMETRIC = [alg for alg in ALGORITHMS if not alg.startswith("HS")]


def _claims_with(alg: str, kind: TokenKind, user_id: str) -> dict[str, Any]:
    claims = genuine_claims(alg, kind)
    if kind is TokenKind.ACCESS:
        claims.update(sub=user_id, id=user_id)
    else:
        claims["user"]["id"] = claims["session"]["userId"] = user_id
        if "sub" in claims:
            claims["sub"] = user_id
    return claims


def _genuine_header(alg: str, kind: TokenKind) -> dict[str, Any]:
    token = genuine_token(alg, kind)
    header: dict[str, Any] = decode_segment(token.split(".")[0])
    return header


@pytest.mark.parametrize(("alg", "kind"), ALG_KIND)
@scaled(0.5)
@given(
    signer_alg=st.sampled_from(ALGORITHMS),
    key_number=st.integers(min_value=0, max_value=1),
    user_id=st.sampled_from(["user_1", "user_2", "admin"]) | st.text(min_size=1, max_size=16),
)
def test_a_token_signed_by_a_key_not_in_the_provider_is_rejected_even_under_the_genuine_kid(
    alg: str, kind: TokenKind, signer_alg: str, key_number: int, user_id: str
) -> None:
    """The header is exactly the genuine one (same kid, same typ) apart from the algorithm the attacker's key needs."""
    header = {**_genuine_header(alg, kind), "alg": signer_alg}
    forged = sign_compact(header, _claims_with(alg, kind, user_id), foreign_key(signer_alg, key_number))
    assert_forgery_rejected(verifier(alg, kind), forged, genuine_token(alg, kind))


@pytest.mark.parametrize("alg", ASYMMETRIC)
@pytest.mark.parametrize("kind", [TokenKind.ACCESS, TokenKind.SESSION_COOKIE], ids=lambda kind: kind.value)
def test_a_key_published_elsewhere_under_the_same_kid_is_not_trusted(alg: str, kind: TokenKind) -> None:
    """An attacker publishes their own JWKS reusing our kid; tokens signed with it name our kid and still fail."""
    genuine = factory(alg)
    impostor = TokenFactory(alg, clock=lambda: NOW)
    impostor._keys = [(genuine.kid or "", foreign_key(alg))]  # the impostor copies the genuine kid
    assert impostor.jwks["keys"][0]["kid"] == genuine.kid
    forged = impostor.access_token("admin") if kind is TokenKind.ACCESS else impostor.session_cookie("admin")
    error = assert_forgery_rejected(verifier(alg, kind), forged, genuine_token(alg, kind))
    assert isinstance(error, InvalidSignatureError)


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_the_kid_binds_the_key_even_among_keys_the_provider_holds(alg: str) -> None:
    """After a rotation both keys are trusted, but a token naming one kid is only checked with that kid's key."""
    issuer = rotated_factory(alg)
    old_kid, old_key = issuer._keys[0]
    new_kid, new_key = issuer._keys[1]
    check = issuer.verifier()
    claims = issuer.access_claims()
    assert check.verify(sign_compact({"alg": alg, "kid": old_kid}, claims, old_key)).user_id == "user_1"
    assert check.verify(sign_compact({"alg": alg, "kid": new_kid}, claims, new_key)).user_id == "user_1"
    with pytest.raises(InvalidSignatureError):
        check.verify(sign_compact({"alg": alg, "kid": old_kid}, claims, new_key))


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_an_unknown_kid_is_an_unknown_key_not_a_search_through_the_set(alg: str) -> None:
    """A token with a kid nobody published is refused as such; no other key is tried in its place."""
    issuer = factory(alg)
    forged = sign_compact({"alg": alg, "kid": "not-" + (issuer.kid or "")}, issuer.access_claims(), issuer.private_key)
    with pytest.raises(UnknownKeyError):
        issuer.verifier().verify(forged)


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_without_a_kid_only_a_lone_key_may_be_tried(alg: str) -> None:
    """No kid and two candidate keys: refusing beats guessing (Better Auth always sends a kid)."""
    issuer = rotated_factory(alg)
    token = sign_compact({"alg": alg}, issuer.access_claims(), issuer.private_key)
    with pytest.raises(UnknownKeyError):
        issuer.verifier().verify(token)


@pytest.mark.parametrize("kind", [TokenKind.ACCESS, TokenKind.SESSION_COOKIE], ids=lambda kind: kind.value)
@scaled(0.5)
@given(secret=st.binary(min_size=32, max_size=80))
def test_a_token_signed_with_any_other_secret_is_rejected_by_every_rotation_slot(
    kind: TokenKind, secret: bytes
) -> None:
    current, previous = b"c" * 32 + b"-current-secret", b"p" * 32 + b"-previous-secret"
    check = Verifier(
        SharedSecret([current, previous]),
        issuer="http://localhost:3000",
        audience="http://localhost:3000",
        kind=kind,
        clock=lambda: NOW,
    )
    issuer = factory("HS256")
    claims = issuer.access_claims() if kind is TokenKind.ACCESS else issuer.session_cookie_claims()
    header = {"alg": "HS256", "typ": "JWT"} if kind is TokenKind.ACCESS else {"alg": "HS256"}
    for trusted in (current, previous):
        assert check.verify(sign_compact(header, claims, trusted)).user_id == "user_1"
    if secret in (current, previous):
        return
    assert_forgery_rejected(check, sign_compact(header, claims, secret))


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_a_provider_trusts_only_its_own_issuer_keys_not_a_neighbour_tenant(alg: str) -> None:
    """Two Better Auth deployments, one algorithm: each verifier refuses the other's tokens even with equal claims."""
    ours, theirs = factory(alg), TokenFactory(alg, clock=lambda: NOW)
    token = theirs.access_token()
    with pytest.raises(UnknownKeyError):
        ours.verifier().verify(token)
    # Even when the neighbour's kid happens to equal ours, their key is not ours.
    jwks = {"keys": [public_jwk(generate_private_key(alg), alg, ours.kid or "")]}
    with pytest.raises(InvalidSignatureError):
        Verifier(StaticJWKS(jwks), issuer=ours.issuer, audience=ours.issuer, clock=lambda: NOW).verify(
            ours.access_token()
        )
