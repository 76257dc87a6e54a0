"""Property: whatever ``verify``/``averify`` are given, the only exceptions that escape are ``InvalidTokenError``
subclasses (``KeysUnavailableError`` cannot happen with the static providers used here)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from betterauth_jwt import InvalidTokenError, TokenKind, Verifier
from betterauth_jwt.testing import TokenFactory, b64url, sign_compact

NOW = 1_760_000_000

FACTORIES = {alg: TokenFactory(alg, clock=lambda: NOW) for alg in ("HS256", "EdDSA", "ES256", "RS256")}
VERIFIERS: list[tuple[TokenFactory, Verifier]] = [
    (factory, factory.verifier(kind=kind, cache_size=cache_size))
    for factory in FACTORIES.values()
    for kind in (TokenKind.ACCESS, TokenKind.SESSION_COOKIE)  # the JWT kinds
    for cache_size in (0, 100)
]
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_invalid_token_errors(verifier: Verifier, token: Any) -> None:
    try:
        identity = verifier.verify(token)
    except InvalidTokenError as exc:
        error = exc
    else:
        # A success is possible only for a genuinely signed, well-formed token; it must be a usable identity.
        assert isinstance(identity.user_id, str)
        assert identity.user_id
        return
    assert isinstance(error.code, str)
    assert error.code
    assert isinstance(error.description, str)


verifiers = st.sampled_from(VERIFIERS)

# Numbers at the edges of what floats and datetimes can hold, and the ordinary kind.
numbers = (
    st.sampled_from([10**400, -(10**400), 2**1024, 2**63, 1e308, -1e308, 253402300799, 253402300800, 5e-324, -0.0])
    | st.integers()
    | st.integers(min_value=-(10**450), max_value=10**450)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(min_value=NOW - 10**6, max_value=NOW + 10**6)
)
# JSON values, including the awkward ones: huge and negative integers, floats, lone surrogates, nesting.
json_scalars = (
    st.none()
    | st.booleans()
    | numbers
    | st.text(max_size=20)
    | st.sampled_from(["", "\ud800", "none", "HS256", "EdDSA", "better-auth.session-cache+jwt", "x" * 300])
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
CLAIM_NAMES = ["iss", "aud", "sub", "exp", "iat", "nbf", "user", "session", "sid", "id", "email", "name", "typ"]
HEADER_NAMES = ["alg", "kid", "typ", "crit", "b64", "jwk", "jku", "enc", "zip", "cty", "x5c"]


def _json_text(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def claim_sets(draw: st.DrawFn, factory: TokenFactory) -> Any:
    """Mostly-plausible claims with random values swapped in, or any JSON value at all."""
    if draw(st.booleans()):
        return draw(json_values)
    base = factory.session_cookie_claims() if draw(st.booleans()) else factory.access_claims()
    for name in draw(st.lists(st.sampled_from(CLAIM_NAMES), max_size=4)):
        if draw(st.booleans()):
            base.pop(name, None)
        else:
            base[name] = draw(json_values)
    return base


@st.composite
def headers(draw: st.DrawFn, factory: TokenFactory) -> Any:
    if draw(st.integers(0, 4)) == 0:
        return draw(json_values)
    header: dict[str, Any] = dict(factory.header())
    if draw(st.booleans()):
        header["alg"] = draw(st.sampled_from(["HS256", "EdDSA", "ES256", "RS256", "PS256", "none", "NONE", "ES512"]))
    for name in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=3)):
        if draw(st.booleans()):
            header.pop(name, None)
        else:
            header[name] = draw(json_values)
    return header


@PROPERTY_SETTINGS
@given(
    verifier=verifiers,
    times=st.fixed_dictionaries({}, optional={name: numbers | json_values for name in ("exp", "iat", "nbf")}),
)
def test_any_time_claims_on_an_otherwise_valid_signed_token(
    verifier: tuple[TokenFactory, Verifier], times: dict[str, Any]
) -> None:
    factory, checker = verifier
    if checker.kind is TokenKind.ACCESS:
        claims, header = factory.access_claims(), factory.header()
    elif factory.secret is not None:
        claims, header = factory.session_cookie_claims(), {"alg": factory.alg}
    else:
        claims, header = factory.session_cookie_claims(), factory.header(typ="better-auth.session-cache+jwt")
    claims.update(times)
    _only_invalid_token_errors(checker, sign_compact(header, _json_text(claims), factory.private_key))


@PROPERTY_SETTINGS
@given(verifier=verifiers, token=st.text(max_size=300))
def test_random_text(verifier: tuple[TokenFactory, Verifier], token: str) -> None:
    _only_invalid_token_errors(verifier[1], token)


@PROPERTY_SETTINGS
@given(verifier=verifiers, data=st.binary(max_size=300))
def test_random_bytes_as_text(verifier: tuple[TokenFactory, Verifier], data: bytes) -> None:
    _only_invalid_token_errors(verifier[1], data.decode("latin-1"))


@PROPERTY_SETTINGS
@given(verifier=verifiers, parts=st.lists(st.text(alphabet="ABCabc012-_=+/. ", max_size=40), min_size=1, max_size=6))
def test_random_dot_separated_base64ish_text(verifier: tuple[TokenFactory, Verifier], parts: list[str]) -> None:
    _only_invalid_token_errors(verifier[1], ".".join(parts))


@PROPERTY_SETTINGS
@given(data=st.data(), verifier=verifiers)
def test_random_json_unsigned(data: st.DataObject, verifier: tuple[TokenFactory, Verifier]) -> None:
    factory, checker = verifier
    header = data.draw(headers(factory))
    claims = data.draw(claim_sets(factory))
    signature = data.draw(st.binary(max_size=300))
    token = f"{b64url(_json_text(header))}.{b64url(_json_text(claims))}.{b64url(signature)}"
    _only_invalid_token_errors(checker, token)


@PROPERTY_SETTINGS
@given(data=st.data(), verifier=verifiers)
def test_random_json_signed_with_the_right_key(data: st.DataObject, verifier: tuple[TokenFactory, Verifier]) -> None:
    # Signed for real, so the claims policy and Identity construction see every random value.
    factory, checker = verifier
    header = data.draw(headers(factory))
    claims = data.draw(claim_sets(factory))
    if not isinstance(header, dict) or header.get("alg") != factory.alg:
        header = factory.header()
    token = sign_compact(header, _json_text(claims), factory.private_key)
    _only_invalid_token_errors(checker, token)


@PROPERTY_SETTINGS
@given(verifier=verifiers, junk=st.sampled_from([None, b"a.b.c", 1, 1.5, ["a"], {"t": 1}, object(), ("a",)]))
def test_non_string_inputs(verifier: tuple[TokenFactory, Verifier], junk: Any) -> None:
    _only_invalid_token_errors(verifier[1], junk)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), verifier=verifiers)
def test_averify_likewise(data: st.DataObject, verifier: tuple[TokenFactory, Verifier]) -> None:
    # Driven by asyncio.run per example: Hypothesis and an async test body do not mix well (StopTest in a task).
    factory, checker = verifier
    claims = data.draw(claim_sets(factory))
    token = data.draw(
        st.sampled_from(
            [
                sign_compact(factory.header(), _json_text(claims), factory.private_key),
                f"{b64url(_json_text(factory.header()))}.{b64url(_json_text(claims))}.AAAA",
            ]
        )
        | st.text(max_size=100)
    )
    with contextlib.suppress(InvalidTokenError):
        asyncio.run(checker.averify(token))
