"""The claims policy (``_claims``) through a real Verifier: iss, aud, sub, typ, NumericDates, leeway, token kinds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from betterauth_jwt import (
    ExpiredTokenError,
    ImmatureTokenError,
    InvalidClaimsError,
    InvalidTokenError,
    TokenKind,
    Verifier,
    WrongTokenKindError,
)
from betterauth_jwt.testing import TokenFactory, b64url

NOW = 1_760_000_000
ISSUER = "https://app.example.com"


@pytest.fixture(scope="module")
def factory() -> TokenFactory:
    return TokenFactory("HS256", issuer=ISSUER, clock=lambda: NOW)


@pytest.fixture(scope="module")
def jwks_factory() -> TokenFactory:
    return TokenFactory("EdDSA", issuer=ISSUER, clock=lambda: NOW)


def _verify(factory: TokenFactory, token: str, *, now: float = NOW, **options: Any) -> Any:
    return factory.verifier(clock=lambda: now, cache_size=0, **options).verify(token)


def _claims(factory: TokenFactory, **changes: Any) -> dict[str, Any]:
    claims = factory.access_claims()
    for name, value in changes.items():
        if value is _MISSING:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


_MISSING: Any = object()


def _code(factory: TokenFactory, claims: dict[str, Any] | bytes, **options: Any) -> str:
    with pytest.raises(InvalidTokenError) as caught:
        _verify(factory, factory.sign(claims), **options)
    return caught.value.code


# -- issuer ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iss",
    [
        "https://app.example.com.evil.example",
        "https://app.example.com/",
        "https://APP.example.com",
        "http://app.example.com",
        "https://app.example",
        "",
        ["https://app.example.com"],
        {"iss": "https://app.example.com"},
        1,
        None,
    ],
)
def test_wrong_issuer_is_refused(factory: TokenFactory, iss: Any) -> None:
    assert _code(factory, _claims(factory, iss=iss)) == "invalid_issuer"


def test_missing_issuer_is_refused(factory: TokenFactory) -> None:
    assert _code(factory, _claims(factory, iss=_MISSING)) == "missing_claim"


# -- audience -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "aud", ["https://other.example.com", "https://app.example.com/", ["https://other.example"], "https://app.example"]
)
def test_wrong_audience_is_refused(factory: TokenFactory, aud: Any) -> None:
    assert _code(factory, _claims(factory, aud=aud)) == "invalid_audience"


@pytest.mark.parametrize("aud", [[], [ISSUER, 1], [[ISSUER]], {"aud": ISSUER}, 1, True])
def test_malformed_audience_is_refused(factory: TokenFactory, aud: Any) -> None:
    assert _code(factory, _claims(factory, aud=aud)) == "invalid_audience"


def test_missing_or_null_audience_is_refused(factory: TokenFactory) -> None:
    assert _code(factory, _claims(factory, aud=_MISSING)) == "missing_claim"
    assert _code(factory, _claims(factory, aud=None)) == "missing_claim"


def test_an_audience_list_needs_one_accepted_member(factory: TokenFactory) -> None:
    token = factory.sign(_claims(factory, aud=["https://other.example", ISSUER]))
    assert _verify(factory, token).user_id == "user_1"
    token = factory.sign(_claims(factory, aud=["https://api.example"]))
    assert _verify(factory, token, audience=["https://x.example", "https://api.example"]).user_id == "user_1"


# -- subject --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sub", [_MISSING, None, "", 1, ["user_1"], {"id": "user_1"}, "x" * 1025, "\ud800"])
def test_missing_or_unusable_subject_is_refused(factory: TokenFactory, sub: Any) -> None:
    if sub == "\ud800":  # a lone surrogate, spelled as the JSON escape Better Auth would never emit
        claims = json.dumps(_claims(factory, sub="SUB")).replace('"SUB"', '"\\ud800"').encode()
        assert _code(factory, claims) == "missing_claim"
        return
    assert _code(factory, _claims(factory, sub=sub)) == "missing_claim"


def test_a_non_ascii_subject_is_fine(factory: TokenFactory) -> None:
    assert _verify(factory, factory.sign(_claims(factory, sub="usér-ü"))).user_id == "usér-ü"


# -- NumericDate ------------------------------------------------------------------------------------------------------


NOT_NUMERIC_DATES = ["1760000900", True, False, None, [NOW], {"t": NOW}, -1, 10**400, 253402300800, 1e300]


@pytest.mark.parametrize("name", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("value", NOT_NUMERIC_DATES)
def test_time_claims_must_be_finite_json_numbers(factory: TokenFactory, name: str, value: Any) -> None:
    if value is None and name != "nbf":
        assert _code(factory, _claims(factory, **{name: None})) == "missing_claim"
        return
    with pytest.raises(InvalidClaimsError) as caught:
        _verify(factory, factory.sign(_claims(factory, **{name: value})))
    assert caught.value.code in {"invalid_claim", "missing_claim"}
    assert name in caught.value.description


@pytest.mark.parametrize("name", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 5000])
def test_time_claims_spelled_as_non_finite_json_are_refused(factory: TokenFactory, name: str, literal: str) -> None:
    # Written by hand: json.dumps would refuse or normalise these. NaN/Infinity are not JSON (malformed); 1e400 parses
    # as infinity and 10**5000 overflows the parser, and neither may pass as a date.
    text = json.dumps(_claims(factory, **{name: "PLACEHOLDER"})).replace('"PLACEHOLDER"', literal)
    with pytest.raises(InvalidTokenError) as caught:
        _verify(factory, factory.sign(text.encode()))
    assert caught.value.code in {"malformed_token", "invalid_claim"}


@pytest.mark.parametrize("name", ["exp", "iat"])
def test_exp_and_iat_are_required(factory: TokenFactory, name: str) -> None:
    assert _code(factory, _claims(factory, **{name: _MISSING})) == "missing_claim"


def test_fractional_times_are_accepted(factory: TokenFactory) -> None:
    identity = _verify(factory, factory.sign(_claims(factory, iat=NOW - 0.5, exp=NOW + 0.25)))
    assert identity.expires_at.timestamp() == NOW + 0.25


# -- time windows ---------------------------------------------------------------------------------------------------


def test_exp_at_or_before_now_is_expired(factory: TokenFactory) -> None:
    token = factory.sign(_claims(factory, iat=NOW - 100, exp=NOW))
    with pytest.raises(ExpiredTokenError):
        _verify(factory, token)
    with pytest.raises(ExpiredTokenError):
        _verify(factory, token, now=NOW + 1)
    assert _verify(factory, token, now=NOW - 0.001).user_id == "user_1"


def test_iat_in_the_future_beyond_leeway_is_refused(factory: TokenFactory) -> None:
    token = factory.sign(_claims(factory, iat=NOW + 30, exp=NOW + 900))
    with pytest.raises(ImmatureTokenError):
        _verify(factory, token)
    with pytest.raises(ImmatureTokenError):
        _verify(factory, token, leeway=29)
    assert _verify(factory, token, leeway=30).user_id == "user_1"


def test_nbf_in_the_future_is_refused(factory: TokenFactory) -> None:
    token = factory.sign(_claims(factory, nbf=NOW + 1))
    with pytest.raises(ImmatureTokenError):
        _verify(factory, token)
    assert _verify(factory, token, now=NOW + 1).user_id == "user_1"
    assert _verify(factory, token, leeway=1).user_id == "user_1"


def test_leeway_extends_expiry_symmetrically(factory: TokenFactory) -> None:
    token = factory.sign(_claims(factory, iat=NOW - 100, exp=NOW - 5))
    assert _verify(factory, token, leeway=6).user_id == "user_1"
    with pytest.raises(ExpiredTokenError):
        _verify(factory, token, leeway=5)


# -- typ and kind for access tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typ", ["JWT", "jwt"])
def test_access_token_typ_values_that_are_accepted(jwks_factory: TokenFactory, typ: str) -> None:
    token = jwks_factory.sign(jwks_factory.access_claims(), jwks_factory.header(typ=typ))
    assert _verify(jwks_factory, token).user_id == "user_1"


@pytest.mark.parametrize(
    "typ", ["better-auth.session-cache+jwt", "id_token+jwt", "JOSE", "secevent+jwt", "", "at+jwt", "application/at+JWT"]
)
def test_other_typ_values_are_not_access_tokens(jwks_factory: TokenFactory, typ: str) -> None:
    token = jwks_factory.sign(jwks_factory.access_claims(), jwks_factory.header(typ=typ))
    with pytest.raises(WrongTokenKindError):
        _verify(jwks_factory, token)


def test_an_hs256_session_cookie_is_not_an_access_token(factory: TokenFactory) -> None:
    with pytest.raises(WrongTokenKindError):
        _verify(factory, factory.session_cookie())


# -- session cookie rules -------------------------------------------------------------------------------------------


def _cookie_code(factory: TokenFactory, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    with pytest.raises(InvalidTokenError) as caught:
        _verify(factory, factory.sign(claims, header), kind=TokenKind.SESSION_COOKIE)
    return caught.value.code


def test_session_cookie_needs_user_and_session_objects(factory: TokenFactory) -> None:
    claims = factory.session_cookie_claims()
    for broken in ({**claims, "user": _MISSING}, {**claims, "session": "x"}, {**claims, "user": ["u"]}):
        broken = {k: v for k, v in broken.items() if v is not _MISSING}
        assert _cookie_code(factory, broken, {"alg": "HS256"}) == "wrong_token_kind"


@pytest.mark.parametrize("user_id", [_MISSING, None, "", 5])
def test_session_cookie_user_needs_an_id(factory: TokenFactory, user_id: Any) -> None:
    claims = factory.session_cookie_claims()
    user = {k: v for k, v in claims["user"].items() if k != "id"}
    if user_id is not _MISSING:
        user["id"] = user_id
    assert _cookie_code(factory, {**claims, "user": user}, {"alg": "HS256"}) == "missing_claim"


def test_session_cookie_session_must_belong_to_its_user(factory: TokenFactory) -> None:
    claims = factory.session_cookie_claims("alice")
    claims["session"] = {**claims["session"], "userId": "mallory"}
    assert _cookie_code(factory, claims, {"alg": "HS256"}) == "invalid_claim"


@pytest.mark.parametrize("header", [{"alg": "HS256", "typ": "JWT"}, {"alg": "HS256", "typ": "at+jwt"}])
def test_hs256_cookie_with_a_typ_is_something_else(factory: TokenFactory, header: dict[str, Any]) -> None:
    assert _cookie_code(factory, factory.session_cookie_claims(), header) == "wrong_token_kind"


def test_jwks_cookie_without_its_typ_is_refused(jwks_factory: TokenFactory) -> None:
    claims = jwks_factory.session_cookie_claims()
    assert _cookie_code(jwks_factory, claims, jwks_factory.header()) == "wrong_token_kind"


def test_jwks_cookie_checks_its_audience_subject_and_issuer(jwks_factory: TokenFactory) -> None:
    header = jwks_factory.header(typ="better-auth.session-cache+jwt")
    claims = jwks_factory.session_cookie_claims("alice")
    assert _verify(jwks_factory, jwks_factory.sign(claims, header), kind=TokenKind.SESSION_COOKIE).user_id == "alice"
    assert _cookie_code(jwks_factory, {**claims, "aud": ISSUER}, header) == "invalid_audience"
    assert _cookie_code(jwks_factory, {**claims, "sub": "mallory"}, header) == "invalid_claim"
    assert _cookie_code(jwks_factory, {**claims, "iss": "https://evil.example"}, header) == "invalid_issuer"
    # Without a configured issuer the cookie's iss is not compared (the cookie verifier needs no issuer).
    no_issuer = Verifier(jwks_factory.key_provider(), kind=TokenKind.SESSION_COOKIE, clock=lambda: NOW)
    assert no_issuer.verify(jwks_factory.sign({**claims, "iss": "https://other.example"}, header)).user_id == "alice"


def test_session_cookie_expiry_is_enforced(factory: TokenFactory) -> None:
    token = factory.session_cookie(max_age=300)
    verifier = Verifier(factory.key_provider(), kind=TokenKind.SESSION_COOKIE, clock=lambda: NOW + 300)
    with pytest.raises(ExpiredTokenError):
        verifier.verify(token)


def test_raw_payload_helper_is_really_signed(factory: TokenFactory) -> None:
    # Guard for the tests above that sign hand-written JSON: the same bytes, signed, verify.
    text = json.dumps(factory.access_claims()).encode()
    assert _verify(factory, factory.sign(text)).user_id == "user_1"
    assert factory.sign(text).split(".")[1] == b64url(text)
