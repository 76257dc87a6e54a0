"""Properties of the OAuth kind, for any input Hypothesis finds.

- Any OAuth-shaped token (header ``typ`` at+jwt, or a ``client_id``/``azp``/``cnf``/``nonce``/``at_hash``/``c_hash``/
  ``auth_time`` claim) signed by the genuine key is refused by the first-party kinds with ``wrong_token_kind``, however
  well its other claims fit a first-party token (RFC 8725 section 2.8).
- Any token whose ``aud`` does not contain the resource is refused by ``OAuthVerifier`` (RFC 9068 section 4), near
  misses included (a trailing slash, another case, a prefix).
- Scope strings round-trip: ``parse_scope(" ".join(s)) == s`` for every set of RFC 6749 scope-tokens, and every other
  string (spaces in the wrong places, quotes, backslashes, control characters, non-ASCII) or non-string is refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from betterauth_jwt import InvalidTokenError, TokenKind, WrongTokenKindError
from betterauth_jwt._kinds.oauth import parse_scope
from betterauth_jwt.testing import TokenFactory

from ._support import factory, scaled

RESOURCE = "https://api.example.com/mcp"
# Asymmetric algorithms only: Better Auth signs OAuth tokens with its JWKS key, never with a shared secret.
OAUTH_ALGORITHMS = ("EdDSA", "ES256", "RS256")
MARKER_CLAIMS = ("client_id", "azp", "cnf", "nonce", "at_hash", "c_hash", "auth_time")

# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
SCOPE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\')
scope_tokens = st.text(alphabet=SCOPE_CHARS, min_size=1, max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def typ_spellings(typ: str) -> st.SearchStrategy[str]:
    """``typ`` in any letter case (media types are case-insensitive, RFC 7515 4.1.9)."""
    return st.lists(st.booleans(), min_size=len(typ), max_size=len(typ)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(typ, upper, strict=True))
    )


@st.composite
def oauth_shaped(draw: st.DrawFn, kind: TokenKind) -> tuple[str, str]:
    """(algorithm, token): a token that would be a valid first-party ``kind`` but for its OAuth marks."""
    alg = draw(st.sampled_from(OAUTH_ALGORITHMS))
    issuer = factory(alg)
    if kind is TokenKind.ACCESS:
        claims = issuer.access_claims("user_1")
        header = issuer.header()
    else:
        claims = issuer.session_cookie_claims("user_1")
        header = issuer.header(typ="better-auth.session-cache+jwt")
    markers = draw(st.lists(st.sampled_from(MARKER_CLAIMS), unique=True, max_size=len(MARKER_CLAIMS)))
    for name in markers:
        claims[name] = draw(json_values)
    oauth_typ = draw(st.none() | typ_spellings("at+jwt") | typ_spellings("application/at+jwt"))
    assume(markers or oauth_typ is not None)
    if oauth_typ is not None:
        header["typ"] = oauth_typ
    # Other claims an OAuth token carries, any value: they must not change the verdict.
    for name in draw(st.lists(st.sampled_from(("scope", "sid", "jti", "sub", "aud")), unique=True)):
        claims[name] = draw(json_values)
    return alg, issuer.sign(claims, header)


@scaled(0.5)
@given(oauth_shaped(TokenKind.ACCESS))
def test_oauth_shaped_tokens_are_never_first_party_access_tokens(case: tuple[str, str]) -> None:
    alg, token = case
    with pytest.raises(WrongTokenKindError) as raised:
        factory(alg).verifier(TokenKind.ACCESS).verify(token)
    assert raised.value.code == "wrong_token_kind"


@scaled(0.5)
@given(oauth_shaped(TokenKind.SESSION_COOKIE))
def test_oauth_shaped_tokens_are_never_session_cookies(case: tuple[str, str]) -> None:
    alg, token = case
    with pytest.raises(WrongTokenKindError):
        factory(alg).verifier(TokenKind.SESSION_COOKIE).verify(token)


def near_misses(resource: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            resource + "/",
            resource.upper(),
            resource.removesuffix("/mcp"),
            resource + "?x=1",
            resource.replace("https", "http"),
            resource + "#",
            " " + resource,
            resource + "\x00",
            "https://api.example.com",
            "https://api.example.com/mcp/../mcp",
        ]
    )


audiences_without_resource = st.one_of(
    st.text(max_size=60),
    near_misses(RESOURCE),
    st.lists(st.text(max_size=30) | near_misses(RESOURCE), max_size=4),
    json_values,
).filter(lambda aud: aud != RESOURCE and not (isinstance(aud, list) and RESOURCE in aud))


@scaled(1.0)
@given(alg=st.sampled_from(OAUTH_ALGORITHMS), aud=audiences_without_resource, machine=st.booleans())
def test_a_token_for_another_audience_is_refused(alg: str, aud: Any, machine: bool) -> None:
    issuer = factory(alg)
    claims = issuer.oauth_claims(None if machine else "user_1", resource=RESOURCE)
    claims["aud"] = aud
    if aud is None:
        del claims["aud"]
    token = issuer.sign(claims, issuer.header(typ="at+jwt"))
    with pytest.raises(InvalidTokenError) as raised:
        issuer.oauth_verifier(RESOURCE).verify(token)
    assert raised.value.code in ("invalid_audience", "missing_claim")


@scaled(0.5)
@given(alg=st.sampled_from(OAUTH_ALGORITHMS), others=st.lists(st.text(max_size=30), max_size=3), at=st.integers(0, 3))
def test_the_resource_anywhere_in_an_aud_list_is_accepted(alg: str, others: list[str], at: int) -> None:
    issuer = factory(alg)
    audience = [*others]
    audience.insert(min(at, len(audience)), RESOURCE)
    token = issuer.oauth_token(resource=audience)
    assert issuer.oauth_verifier(RESOURCE).verify(token).audience == tuple(audience)


@scaled(2.0)
@given(st.frozensets(scope_tokens, min_size=1, max_size=8))
def test_scope_strings_round_trip(scopes: frozenset[str]) -> None:
    assert parse_scope(" ".join(scopes)) == scopes
    assert parse_scope(" ".join(sorted(scopes))) == scopes


def broken_scope_strings() -> st.SearchStrategy[str]:
    valid = st.lists(scope_tokens, min_size=1, max_size=4).map(" ".join)
    bad_char = st.sampled_from(['"', "\\", "\t", "\n", "\r", "\x00", "\x7f", "\x1f", "é", "\u00a0", "\u2003", "🔑"])
    return st.one_of(
        valid.map(lambda s: " " + s),
        valid.map(lambda s: s + " "),
        st.tuples(valid, valid).map(lambda pair: pair[0] + "  " + pair[1]),
        st.tuples(valid, bad_char, st.integers(0, 40)).map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]),
        st.just(" "),
    )


@scaled(2.0)
@given(broken_scope_strings())
def test_broken_scope_strings_are_refused(value: str) -> None:
    with pytest.raises(InvalidTokenError) as raised:
        parse_scope(value)
    assert raised.value.code == "invalid_claim"


@scaled(0.5)
@given(
    st.integers()
    | st.floats()
    | st.booleans()
    | st.lists(scope_tokens, max_size=3)
    | st.dictionaries(scope_tokens, scope_tokens, max_size=2)
)
def test_non_string_scopes_are_refused(value: Any) -> None:
    with pytest.raises(InvalidTokenError):
        parse_scope(value)


@scaled(0.5)
@given(alg=st.sampled_from(OAUTH_ALGORITHMS), scope=broken_scope_strings())
def test_a_token_with_a_broken_scope_claim_is_refused(alg: str, scope: str) -> None:
    issuer: TokenFactory = factory(alg)
    token = issuer.oauth_token(resource=RESOURCE, scope=scope)
    with pytest.raises(InvalidTokenError) as raised:
        issuer.oauth_verifier(RESOURCE).verify(token)
    assert raised.value.code == "invalid_claim"
