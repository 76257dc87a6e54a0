"""Tokens recorded from a real Better Auth 1.7 server (tests/fixtures/betterauth, see its README) verify, and every
single-byte change to one of them does not.

The recorded tokens are expired by now, so each verifier gets a clock pinned to the token's ``iat`` + 1.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from betterauth_jwt import (
    ExpiredTokenError,
    InvalidTokenError,
    MalformedTokenError,
    SharedSecret,
    StaticJWKS,
    TokenKind,
    UnknownKeyError,
    Verifier,
    WrongTokenKindError,
    decode_unverified,
)

FIXTURES = Path(__file__).parent / "fixtures" / "betterauth"
JWT_PLUGIN_CONFIGS = ["eddsa", "es256", "es512", "rs256", "ps256"]
ALL_CONFIGS = sorted(path.stem for path in FIXTURES.glob("*.json"))


@cache
def fixture(config: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{config}.json").read_text())
    return data


def pinned_clock(token: str) -> Any:
    iat = decode_unverified(token)[1]["iat"]
    return lambda: iat + 1


def access_verifier(config: str, token: str, **options: Any) -> Verifier:
    data = fixture(config)
    keys = SharedSecret(data["secret"]) if config == "hs256" else StaticJWKS(data["jwks"])
    options.setdefault("issuer", data["base_url"])
    options.setdefault("audience", data["base_url"])
    options.setdefault("clock", pinned_clock(token))
    return Verifier(keys, **options)


def cookie_verifier(config: str, token: str, **options: Any) -> Verifier:
    data = fixture(config)
    keys = SharedSecret(data["secret"]) if config == "cookie-jwt" else StaticJWKS(data["jwks"])
    options.setdefault("clock", pinned_clock(token))
    return Verifier(keys, kind=TokenKind.SESSION_COOKIE, **options)


def test_every_recorded_configuration_is_covered() -> None:
    assert set(ALL_CONFIGS) == {*JWT_PLUGIN_CONFIGS, "hs256", "custom-claims", "rotation", "cookie-jwt", "cookie-jwks"}
    assert {fixture(config)["better_auth_version"][:4] for config in ALL_CONFIGS} == {"1.7."}


# -- JWT plugin ("access") tokens -------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [*JWT_PLUGIN_CONFIGS, "hs256", "rotation", "cookie-jwt", "cookie-jwks"])
@pytest.mark.parametrize("source", ["access_token", "set_auth_jwt"])
def test_jwt_plugin_tokens_verify(config: str, source: str) -> None:
    data = fixture(config)
    token = data["tokens"][source]
    identity = access_verifier(config, token).verify(token)
    assert identity.user_id == data["user"]["id"]
    assert identity.email == data["user"]["email"] == "alice@example.test"
    assert identity.name == "Alice Example"
    assert identity.email_verified is False
    assert identity.kind is TokenKind.ACCESS
    assert identity.claims["iss"] == data["base_url"]
    assert (identity.expires_at - identity.issued_at).total_seconds() == 900  # Better Auth's default 15 minutes


@pytest.mark.parametrize("config", JWT_PLUGIN_CONFIGS)
def test_the_algorithm_is_what_the_configuration_asked_for(config: str) -> None:
    alg = decode_unverified(fixture(config)["tokens"]["access_token"])[0]["alg"]
    assert alg == {"eddsa": "EdDSA", "es256": "ES256", "es512": "ES512", "rs256": "RS256", "ps256": "PS256"}[config]


@pytest.mark.parametrize("config", [*JWT_PLUGIN_CONFIGS, "hs256"])
@pytest.mark.anyio
async def test_averify_accepts_them_too(config: str) -> None:
    token = fixture(config)["tokens"]["access_token"]
    assert (await access_verifier(config, token).averify(token)).user_id == fixture(config)["user"]["id"]


@pytest.mark.parametrize("config", [*JWT_PLUGIN_CONFIGS, "hs256"])
def test_they_expire_at_exp(config: str) -> None:
    token = fixture(config)["tokens"]["access_token"]
    exp = decode_unverified(token)[1]["exp"]
    with pytest.raises(ExpiredTokenError):
        access_verifier(config, token, clock=lambda: exp).verify(token)


def test_for_better_auth_with_the_secret_accepts_the_hs256_tokens() -> None:
    data = fixture("hs256")
    token = data["tokens"]["access_token"]
    verifier = Verifier.for_better_auth(data["base_url"], secret=data["secret"], clock=pinned_clock(token))
    assert verifier.verify(token).user_id == data["user"]["id"]


def test_custom_claims_configuration() -> None:
    # jwt.issuer, an audience array and definePayload adding a role.
    data = fixture("custom-claims")
    token = data["tokens"]["access_token"]
    claims = decode_unverified(token)[1]
    assert claims["iss"] != data["base_url"]
    assert isinstance(claims["aud"], list)
    assert len(claims["aud"]) == 2
    for audience in claims["aud"]:
        identity = access_verifier("custom-claims", token, issuer=claims["iss"], audience=audience).verify(token)
        assert identity.user_id == data["user"]["id"]
        assert identity.claims["role"] == "admin"
    with pytest.raises(InvalidTokenError) as caught:
        access_verifier("custom-claims", token).verify(token)  # the default issuer (the origin) is not this one
    assert caught.value.code == "invalid_issuer"
    with pytest.raises(InvalidTokenError) as caught:
        access_verifier("custom-claims", token, issuer=claims["iss"]).verify(token)
    assert caught.value.code == "invalid_audience"


def test_rotation_both_kids_verify_against_the_rotated_key_set() -> None:
    data = fixture("rotation")
    old, new = data["tokens"]["access_token"], data["tokens"]["access_token_after_rotation"]
    old_kid, new_kid = decode_unverified(old)[0]["kid"], decode_unverified(new)[0]["kid"]
    assert old_kid != new_kid
    assert {key["kid"] for key in data["jwks_after_rotation"]["keys"]} == {old_kid, new_kid}
    keys = StaticJWKS(data["jwks_after_rotation"])
    for token in (old, new):
        verifier = Verifier(keys, issuer=data["base_url"], audience=data["base_url"], clock=pinned_clock(token))
        assert verifier.verify(token).user_id == data["user"]["id"]
    # The key set from before the rotation does not know the new kid.
    before = Verifier(
        StaticJWKS(data["jwks"]), issuer=data["base_url"], audience=data["base_url"], clock=pinned_clock(new)
    )
    with pytest.raises(UnknownKeyError):
        before.verify(new)


# -- session cookies ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", ["cookie-jwt", "cookie-jwks"])
def test_session_data_cookies_verify(config: str) -> None:
    data = fixture(config)
    token = data["tokens"]["session_data"]
    identity = cookie_verifier(config, token).verify(token)
    assert identity.user_id == data["user"]["id"]
    assert identity.email == "alice@example.test"
    assert identity.kind is TokenKind.SESSION_COOKIE
    assert identity.session_id == data["claims"]["session_data"]["session"]["id"]
    assert (identity.expires_at - identity.issued_at).total_seconds() == 300  # cookieCache.maxAge in server.mjs


def test_the_hs256_cookie_uses_the_raw_secret() -> None:
    data = fixture("cookie-jwt")
    token = data["tokens"]["session_data"]
    assert decode_unverified(token)[0] == {"alg": "HS256"}
    verifier = Verifier.for_better_auth(
        data["base_url"], secret=data["secret"], kind=TokenKind.SESSION_COOKIE, clock=pinned_clock(token)
    )
    assert verifier.verify(token).user_id == data["user"]["id"]


def test_the_jwks_cookie_carries_its_typ_and_audience() -> None:
    data = fixture("cookie-jwks")
    token = data["tokens"]["session_data"]
    header, claims = decode_unverified(token)
    assert header["typ"] == "better-auth.session-cache+jwt"
    assert claims["aud"] == "better-auth:session-cache"
    identity = cookie_verifier("cookie-jwks", token, issuer=data["base_url"]).verify(token)
    assert identity.user_id == claims["sub"]
    with pytest.raises(InvalidTokenError) as caught:
        cookie_verifier("cookie-jwks", token, issuer="https://elsewhere.example").verify(token)
    assert caught.value.code == "invalid_issuer"


# -- kinds are not confused -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", ["cookie-jwt", "cookie-jwks"])
def test_a_session_cookie_is_not_an_access_token(config: str) -> None:
    data = fixture(config)
    cookie = data["tokens"]["session_data"]
    # Verified with the very keys that signed it, by an access-token verifier: refused for its kind.
    keys = SharedSecret(data["secret"]) if config == "cookie-jwt" else StaticJWKS(data["jwks"])
    verifier = Verifier(keys, issuer=data["base_url"], audience=data["base_url"], clock=pinned_clock(cookie))
    with pytest.raises(WrongTokenKindError):
        verifier.verify(cookie)


@pytest.mark.parametrize("config", ["cookie-jwks", "eddsa", "hs256"])
def test_an_access_token_is_not_a_session_cookie(config: str) -> None:
    data = fixture(config)
    token = data["tokens"]["access_token"]
    keys = SharedSecret(data["secret"]) if config == "hs256" else StaticJWKS(data["jwks"])
    verifier = Verifier(keys, kind=TokenKind.SESSION_COOKIE, clock=pinned_clock(token))
    with pytest.raises(WrongTokenKindError):
        verifier.verify(token)


@pytest.mark.parametrize("config", ALL_CONFIGS)
def test_the_session_token_is_recognised_and_explained(config: str) -> None:
    data = fixture(config)
    session_token = data["tokens"]["session_token"]
    verifier = access_verifier(config, data["tokens"]["access_token"])
    with pytest.raises(MalformedTokenError) as caught:
        verifier.verify(session_token)
    assert caught.value.code == "not_a_jwt"
    assert "Better Auth session token" in caught.value.description
    assert "jwt plugin" in caught.value.description
    assert session_token.split(".")[0] not in str(caught.value)
    # As a browser or devtools hold the cookie: URL-encoded by Better Auth (better-call).
    from urllib.parse import quote

    with pytest.raises(MalformedTokenError) as caught:
        verifier.verify(quote(session_token, safe=""))
    assert caught.value.code == "not_a_jwt"


# -- every single-byte change is refused ------------------------------------------------------------------------------

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
OTHER_CHARACTERS = ".=+/ \t\n\x00~%é\u2028"
REPRESENTATIVES = [
    ("eddsa", "access_token"),
    ("es256", "access_token"),
    ("es512", "access_token"),
    ("rs256", "access_token"),
    ("ps256", "access_token"),
    ("hs256", "access_token"),
    ("cookie-jwt", "session_data"),
]


def _single_byte_changes(token: str, position: int) -> set[str]:
    """Replacements for one character: each base64url character whose 6-bit value differs from the original's in
    exactly one bit (every single-bit change of the decoded bytes: these reach the signature check), each single-bit
    change of the ASCII byte that leaves the alphabet, and characters a lax decoder might skip or translate.

    Signature checks are what cost time (ES512 most), so only the six data-bit changes per position reach them; the
    exhaustive 256-value version runs below for the HS256 token."""
    original = token[position]
    changes = set(OTHER_CHARACTERS)
    if original in BASE64URL:
        value = BASE64URL.index(original)
        changes |= {BASE64URL[value ^ (1 << bit)] for bit in range(6)}
    changes |= {c for c in (chr(ord(original) ^ (1 << bit)) for bit in range(7)) if c not in BASE64URL}
    changes.discard(original)
    return changes


@pytest.mark.parametrize(("config", "source"), REPRESENTATIVES)
def test_every_single_byte_change_to_a_real_token_is_refused(config: str, source: str) -> None:
    token = fixture(config)["tokens"][source]
    verifier = (cookie_verifier if source == "session_data" else access_verifier)(config, token, cache_size=0)
    assert verifier.verify(token).user_id == fixture(config)["user"]["id"]
    accepted = []
    for position in range(len(token)):
        for replacement in _single_byte_changes(token, position):
            changed = token[:position] + replacement + token[position + 1 :]
            try:
                verifier.verify(changed)
            except InvalidTokenError:
                continue
            accepted.append((position, replacement))
    assert accepted == []


def test_every_byte_value_at_every_position_of_an_hs256_token_is_refused() -> None:
    # The exhaustive version (all 256 values at each position) for the cheapest algorithm.
    data = fixture("hs256")
    token = data["tokens"]["access_token"]
    verifier = access_verifier("hs256", token, cache_size=0)
    accepted = []
    for position in range(len(token)):
        for value in range(256):
            changed = token[:position] + chr(value) + token[position + 1 :]
            if changed == token:
                continue
            try:
                verifier.verify(changed)
            except InvalidTokenError:
                continue
            accepted.append((position, value))
    assert accepted == []


@pytest.mark.parametrize(("config", "source"), REPRESENTATIVES)
def test_removing_or_adding_a_character_is_refused(config: str, source: str) -> None:
    token = fixture(config)["tokens"][source]
    verifier = (cookie_verifier if source == "session_data" else access_verifier)(config, token, cache_size=0)
    for position in range(len(token) + 1):
        for changed in (token[:position] + token[position + 1 :], token[:position] + "A" + token[position:]):
            if changed == token:
                continue
            with pytest.raises(InvalidTokenError):
                verifier.verify(changed)
