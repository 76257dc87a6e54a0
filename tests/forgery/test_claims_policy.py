"""Correctly signed tokens are accepted exactly when the claims policy says so.

The issuer is honest about the signature here but not about the claims: generated ``iss``/``aud``/``sub``/``exp``/
``nbf``/``iat`` values (wrong types, Unicode look-alikes, values at ``now`` and at the leeway's edges) are signed with the
genuine key, and the verifier's verdict must equal the reference model's (``_policy_model``). Times are multiples of
1/8 s so that float arithmetic is exact and the model (which uses exact fractions) and the verifier compare the same
numbers; the policy is about seconds, not about the last bit of a double.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from betterauth_jwt import Identity, InvalidTokenError, KeyProvider, TokenKind, Verifier
from betterauth_jwt.testing import sign_compact

from ._policy_model import LAST_NUMERIC_DATE, SESSION_CACHE_AUDIENCE, SESSION_CACHE_TYP, Policy, policy_violations
from ._support import ALGORITHMS, KINDS, NOW, factory, scaled

ISSUER = "https://app.example.com"
OTHER = "https://api.example.com"
LEEWAYS = (0, 0.125, 0.5, 1, 30, 300)

# Look-alikes of the issuer: each differs from it by something a lax comparison (prefix, substring, case, Unicode
# normalisation, trimming, URL normalisation) would forgive.
ISSUER_LOOK_ALIKES = (
    ISSUER + "/",
    ISSUER + ".evil.example",
    ISSUER + ":443",
    ISSUER[:-1],
    "https://app.example",
    "https://app",
    "app.example.com",
    "",
    ISSUER.upper(),
    "HTTPS://app.example.com",
    " " + ISSUER,
    ISSUER + " ",
    ISSUER + "\x00",
    ISSUER + "\n",
    ISSUER.replace("a", "\u0430"),  # Cyrillic a
    ISSUER.replace("e", "\u0435"),  # Cyrillic e
    ISSUER.replace(".", "\u2024"),  # one dot leader
    "\uff48ttps://app.example.com",  # fullwidth h: NFKC folds it to h
    ISSUER.replace("p", "\u0440"),  # Cyrillic er
    "https://app.example.com\u200b",  # zero-width space
    "https://xn--pp-8ka.example.com",
)


def _json_leaf() -> st.SearchStrategy[Any]:
    return st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12) | st.just([]) | st.just({})


def _mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` three times in four: odd values are the point, but each example should change only a few things."""
    return st.sampled_from([usual, usual, usual, odd]).flatmap(lambda chosen: chosen)


# When a claim is changed, it is mostly to a value that a lax comparison would confuse with a right one.
issuers = _mostly(
    st.sampled_from((ISSUER, *ISSUER_LOOK_ALIKES)), st.just([ISSUER]) | st.just({"iss": ISSUER}) | _json_leaf()
)
_AUDIENCE_STRINGS = [ISSUER, OTHER, SESSION_CACHE_AUDIENCE, *ISSUER_LOOK_ALIKES[:8]]
audiences = _mostly(
    st.sampled_from(_AUDIENCE_STRINGS) | st.lists(st.sampled_from(_AUDIENCE_STRINGS), max_size=3),
    st.lists(st.sampled_from([ISSUER, 1, None, [ISSUER], True]), min_size=1, max_size=2) | _json_leaf(),
)
subjects = _mostly(
    st.sampled_from(["user_1", "", " ", "x" * 1024, "x" * 1025, "\ud800", "a\udfffb", "ユーザー", "user_1\x00", "0"]),
    st.text(max_size=8) | _json_leaf(),
)
# NumericDate values that are wrong whatever the clock says.
odd_dates = st.sampled_from(
    [
        True,
        False,
        None,
        "1760000000",
        [NOW],
        {"t": NOW},
        -1,
        -0.125,
        -0.0,
        0,
        5e-324,
        LAST_NUMERIC_DATE,
        LAST_NUMERIC_DATE + 1,
        LAST_NUMERIC_DATE + 0.5,
        10**20,
        2**63,
        1e300,
        math.inf,
        -math.inf,
        math.nan,
    ]
)
VERIFIER_AUDIENCES = (frozenset({ISSUER}), frozenset({ISSUER, OTHER}), frozenset({OTHER}))
TYPS = (None, "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT", SESSION_CACHE_TYP)
ODD_TYPS = (
    SESSION_CACHE_TYP.upper(),
    "JOSE",
    "id_token+jwt",
    "",
    "jwt ",
    "\uff2a\uff37\uff34",
    "at+jwt\x00",
    "JW\u0162",
)


@functools.cache
def _provider(alg: str) -> KeyProvider:
    return factory(alg).key_provider()


def _date(data: st.DataObject, name: str, now: float, leeway: float) -> Any:
    """Around now and the leeway's edges, 1/8 s apart, mostly; sometimes a value no clock makes right."""
    around = st.sampled_from([0, leeway, -leeway]).flatmap(
        lambda edge: st.integers(-16, 16).map(lambda eighths: now + edge + eighths / 8)
    )
    far = st.integers(-(10**6), 10**6).map(lambda eighths: now + eighths / 8)
    return data.draw(around | far | odd_dates, label=name)


# How a token and its verifier are set up. Mostly coherent (the kind, claim shape, typ and algorithm of one real Better
# Auth token), so that the claim values decide; sometimes mixed, so that the kinds are also told apart.
SETUPS = {
    "access": (TokenKind.ACCESS, "access", ALGORITHMS, TYPS[:7]),
    "hmac-cookie": (TokenKind.SESSION_COOKIE, "hmac-cookie", ("HS256",), (None,)),
    "jwks-cookie": (TokenKind.SESSION_COOKIE, "jwks-cookie", ALGORITHMS[:5], (SESSION_CACHE_TYP,)),
}


def _draw_setup(data: st.DataObject) -> tuple[TokenKind, str, str, str | None]:
    name = data.draw(st.sampled_from([*SETUPS, "access", "hmac-cookie", "jwks-cookie", "mixed"]), label="setup")
    if name == "mixed":
        kind = data.draw(st.sampled_from(KINDS), label="kind")
        shape = data.draw(st.sampled_from(sorted(SETUPS)), label="shape")
        alg = data.draw(st.sampled_from(ALGORITHMS), label="alg")
        typ = data.draw(st.sampled_from(TYPS) | st.sampled_from(ODD_TYPS), label="typ")
        return kind, shape, alg, typ
    kind, shape, algorithms, typs = SETUPS[name]
    alg = data.draw(st.sampled_from(algorithms), label="alg")
    typ = data.draw(
        st.sampled_from(typs) | st.sampled_from(ODD_TYPS) if data.draw(st.booleans()) else st.sampled_from(typs),
        label="typ",
    )
    return kind, shape, alg, typ


def _draw_claims(data: st.DataObject, shape: str, now: float, leeway: float) -> dict[str, Any]:
    user_id = data.draw(_mostly(st.sampled_from(["user_1", "user_2"]), subjects), label="user id")
    claims: dict[str, Any] = {}
    if shape == "access":
        claims.update(id=user_id, email="a@example.com", sub=user_id, iss=ISSUER, aud=ISSUER)
    else:
        session_user = data.draw(st.sampled_from(["same", "other", "absent"]), label="session.userId")
        session: dict[str, Any] = {"id": "s1", "token": "t1"}
        if session_user != "absent":
            session["userId"] = user_id if session_user == "same" else "someone_else"
        user: Any = data.draw(_mostly(st.just({"id": user_id, "email": "a@example.com"}), _json_leaf()), label="user")
        claims.update(session=session, user=user, version="1")
        if shape == "jwks-cookie":
            claims.update(sub=user_id, iss=ISSUER, aud=SESSION_CACHE_AUDIENCE, sid="t1")
    claims.update(iat=now - 60, exp=now + 900)
    strategies = {"iss": issuers, "aud": audiences, "sub": subjects, "exp": None, "iat": None, "nbf": None}
    for name in data.draw(st.lists(st.sampled_from(sorted(strategies)), max_size=4, unique=True), label="changed"):
        if data.draw(st.booleans(), label=f"remove {name}"):
            claims.pop(name, None)
        elif strategies[name] is None:
            claims[name] = _date(data, name, now, leeway)
        else:
            claims[name] = data.draw(strategies[name], label=name)
    return claims


def _non_finite(value: Any) -> bool:
    """JSON has no NaN or Infinity; ``json.dumps`` writes them anyway and the verifier must refuse the token."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_non_finite(item) for item in value.values())
    if isinstance(value, list):
        return any(_non_finite(item) for item in value)
    return False


def _verdict(verifier: Verifier, token: str) -> Identity | InvalidTokenError:
    try:
        return verifier.verify(token)
    except InvalidTokenError as error:
        return error


def _assert_verdict(outcome: Identity | InvalidTokenError, expected: set[str], claims: dict[str, Any]) -> None:
    if not expected:
        assert isinstance(outcome, Identity), f"refused ({outcome!r}) although the policy accepts {claims!r}"
    else:
        assert isinstance(outcome, InvalidTokenError), f"accepted although the policy says {sorted(expected)}"
        assert outcome.code in expected, f"refused with {outcome.code}, the policy says {sorted(expected)}"


@scaled(10)
@given(
    data=st.data(),
    leeway=st.sampled_from(LEEWAYS),
    accepted_audiences=st.sampled_from(VERIFIER_AUDIENCES),
    now=st.integers(-(2**20), 2**20).map(lambda eighths: NOW + eighths / 8),
    later=st.sampled_from([0, 0.125, 1, 30, 300, 900, 1200]) | st.integers(0, 8 * 3600).map(lambda e: e / 8),
)
def test_signed_claims_are_accepted_exactly_when_the_policy_says_so(
    data: st.DataObject,
    leeway: float,
    accepted_audiences: frozenset[str],
    now: float,
    later: float,
) -> None:
    """…at ``now``, and again ``later`` seconds on, when a success is answered from the verified-token cache."""
    kind, shape, alg, typ = _draw_setup(data)
    claims = _draw_claims(data, shape, now, leeway)
    header: dict[str, Any] = {"alg": alg}
    if factory(alg).kid is not None:
        header["kid"] = factory(alg).kid
    if typ is not None:
        header["typ"] = typ
    token = sign_compact(header, claims, factory(alg).private_key)
    clock = [now]
    verifier = Verifier(
        _provider(alg), issuer=ISSUER, audience=accepted_audiences, kind=kind, leeway=leeway, clock=lambda: clock[0]
    )
    policy = Policy(kind, ISSUER, accepted_audiences, leeway)
    for moment in (now, now + later):
        clock[0] = moment
        malformed = _non_finite(claims)
        expected = {"malformed_token"} if malformed else policy_violations(policy, alg, typ, claims, moment)
        outcome = _verdict(verifier, token)
        event("accepted" if isinstance(outcome, Identity) else f"refused: {outcome.code}")
        _assert_verdict(outcome, expected, claims)


@scaled(5)
@given(
    data=st.data(),
    alg=st.sampled_from(["HS256", "EdDSA"]),
    kind=st.sampled_from(KINDS),
    leeway=st.sampled_from(LEEWAYS),
    now=st.integers(-(2**20), 2**20).map(lambda eighths: NOW + eighths / 8),
)
def test_time_claims_are_accepted_exactly_inside_the_validity_window(
    data: st.DataObject, alg: str, kind: TokenKind, leeway: float, now: float
) -> None:
    """Only exp, iat and nbf vary, all of them near ``now`` and the leeway's edges, checked at several moments."""
    issuer = factory(alg)
    claims = issuer.access_claims() if kind is TokenKind.ACCESS else issuer.session_cookie_claims()
    claims.update(iss=ISSUER, aud=ISSUER if kind is TokenKind.ACCESS else SESSION_CACHE_AUDIENCE)
    for name in ("exp", "iat", "nbf"):
        if name == "nbf" and data.draw(st.booleans(), label="without nbf"):
            continue
        claims[name] = _date(data, name, now, leeway)
    header = issuer.header()
    if kind is TokenKind.SESSION_COOKIE:
        header = {"alg": alg} if alg == "HS256" else {"alg": alg, "kid": issuer.kid, "typ": SESSION_CACHE_TYP}
    token = issuer.sign(claims, header)
    clock = [now]
    verifier = Verifier(
        _provider(alg), issuer=ISSUER, audience=ISSUER, kind=kind, leeway=leeway, clock=lambda: clock[0]
    )
    policy = Policy(kind, ISSUER, frozenset({ISSUER}), leeway)
    moves = st.integers(-16, 16).map(lambda eighths: eighths / 8) | st.sampled_from([leeway, -leeway])
    steps = data.draw(st.lists(moves, max_size=3), label="clock moves")
    for step in [0.0, *steps]:
        clock[0] += step
        malformed = _non_finite(claims)
        expected = (
            {"malformed_token"} if malformed else policy_violations(policy, alg, header.get("typ"), claims, clock[0])
        )
        outcome = _verdict(verifier, token)
        event("accepted" if isinstance(outcome, Identity) else f"refused: {outcome.code}")
        _assert_verdict(outcome, expected, claims)


# The model itself is checked against hand-written cases, so that it cannot simply share a mistake with the verifier.

_ACCESS = Policy(TokenKind.ACCESS, ISSUER, frozenset({ISSUER}), 0)
_LENIENT = Policy(TokenKind.ACCESS, ISSUER, frozenset({ISSUER}), 30)


def _access(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": "u", "iss": ISSUER, "aud": ISSUER, "iat": NOW - 60, "exp": NOW + 900}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not ...}


@pytest.mark.parametrize(
    ("policy", "claims", "expected"),
    [
        (_ACCESS, _access(), set()),
        (_ACCESS, _access(exp=NOW), {"token_expired"}),
        (_ACCESS, _access(exp=NOW + 0.125), set()),
        (_LENIENT, _access(exp=NOW - 30), {"token_expired"}),
        (_LENIENT, _access(exp=NOW - 29.875), set()),
        (_ACCESS, _access(iat=NOW), set()),
        (_ACCESS, _access(iat=NOW + 0.125), {"token_not_yet_valid"}),
        (_LENIENT, _access(iat=NOW + 30), set()),
        (_LENIENT, _access(nbf=NOW + 30.125), {"token_not_yet_valid"}),
        (_ACCESS, _access(nbf=NOW), set()),
        (_ACCESS, _access(exp=True), {"invalid_claim"}),
        (_ACCESS, _access(exp=str(int(NOW + 900))), {"invalid_claim"}),
        (_ACCESS, _access(exp=LAST_NUMERIC_DATE), set()),
        (_ACCESS, _access(exp=LAST_NUMERIC_DATE + 1), {"invalid_claim"}),
        (_ACCESS, _access(iat=0), set()),
        (_ACCESS, _access(iat=-1), {"invalid_claim"}),
        (_ACCESS, _access(iat=...), {"missing_claim"}),
        (_ACCESS, _access(exp=...), {"missing_claim"}),
        (_ACCESS, _access(iss=ISSUER + "/"), {"invalid_issuer"}),
        (_ACCESS, _access(iss="https://app"), {"invalid_issuer"}),
        (_ACCESS, _access(iss=[ISSUER]), {"invalid_issuer"}),
        (_ACCESS, _access(iss=...), {"missing_claim"}),
        (_ACCESS, _access(aud=[OTHER, ISSUER]), set()),
        (_ACCESS, _access(aud=[OTHER]), {"invalid_audience"}),
        (_ACCESS, _access(aud=[]), {"invalid_audience"}),
        (_ACCESS, _access(aud=[ISSUER, 1]), {"invalid_audience"}),
        (_ACCESS, _access(aud=ISSUER[:-1]), {"invalid_audience"}),
        (_ACCESS, _access(sub=""), {"missing_claim"}),
        (_ACCESS, _access(sub=7), {"missing_claim"}),
        (_ACCESS, _access(sub="x" * 1024), set()),
        (_ACCESS, _access(sub="x" * 1025), {"missing_claim"}),
        (_ACCESS, _access(sub="\ud800"), {"missing_claim"}),
    ],
)
def test_the_reference_model_says_what_the_rules_say(
    policy: Policy, claims: dict[str, Any], expected: set[str]
) -> None:
    assert policy_violations(policy, "EdDSA", None, claims, NOW) == expected


def test_the_reference_model_tells_the_token_kinds_apart() -> None:
    cookie = {"user": {"id": "u"}, "session": {"userId": "u"}, "iat": NOW, "exp": NOW + 300}
    as_cookie = Policy(TokenKind.SESSION_COOKIE, ISSUER, frozenset({ISSUER}), 0)
    assert policy_violations(as_cookie, "HS256", None, cookie, NOW) == set()
    assert policy_violations(as_cookie, "EdDSA", None, cookie, NOW) == {"wrong_token_kind"}
    assert policy_violations(as_cookie, "HS256", "JWT", cookie, NOW) == {"wrong_token_kind"}
    assert "wrong_token_kind" in policy_violations(_ACCESS, "HS256", None, cookie, NOW)
    assert policy_violations(as_cookie, "HS256", None, {**cookie, "session": {"userId": "v"}}, NOW) == {"invalid_claim"}
    jwks_cookie = {**cookie, "iss": ISSUER, "aud": SESSION_CACHE_AUDIENCE, "sub": "u"}
    assert policy_violations(as_cookie, "EdDSA", SESSION_CACHE_TYP, jwks_cookie, NOW) == set()
    assert policy_violations(as_cookie, "EdDSA", SESSION_CACHE_TYP, {**jwks_cookie, "sub": "v"}, NOW) == {
        "invalid_claim"
    }
    assert policy_violations(as_cookie, "EdDSA", SESSION_CACHE_TYP, {**jwks_cookie, "aud": ISSUER}, NOW) == {
        "invalid_audience"
    }
    assert policy_violations(_ACCESS, "EdDSA", SESSION_CACHE_TYP, _access(), NOW) == {"wrong_token_kind"}
