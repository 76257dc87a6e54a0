"""Whatever arrives in place of a token, the verifier answers with an :class:`InvalidTokenError` (a 401), never another
exception (a 500) and never a hang.

Time is bounded by the active Hypothesis profile's per-example deadline (one second in ``ci``, for inputs of at most a
few dozen kilobytes whose verification takes well under a millisecond); the work done on oversized input is asserted
directly in ``test_advisories`` (size bombs).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from betterauth_jwt import Identity, InvalidTokenError, TokenKind, Verifier, decode_unverified
from betterauth_jwt.testing import b64url, sign_compact

from ._policy_model import Policy, policy_violations
from ._support import ALGORITHMS, B64URL_ALPHABET, KINDS, NOW, factory, json_values, scaled, verify_both_ways

MAX_TOKEN_BYTES = 16 * 1024


@functools.cache
def every_verifier() -> tuple[Verifier, ...]:
    """One verifier per algorithm and kind: the hostile input is tried against each configuration."""
    return tuple(factory(alg).verifier(kind) for alg in ALGORITHMS for kind in KINDS)


def _only_invalid_token_errors(token: object) -> None:
    for verifier in every_verifier():
        try:
            verifier.verify(token)  # type: ignore[arg-type]
        except InvalidTokenError:
            continue
        raise AssertionError(f"{verifier!r} accepted hostile input {token!r}")


@scaled(3)
@given(st.text(max_size=300))
def test_random_text_only_ever_raises_invalid_token_error(text: str) -> None:
    _only_invalid_token_errors(text)


@given(unit=st.text(min_size=1, max_size=8), repeat=st.integers(min_value=1, max_value=MAX_TOKEN_BYTES // 2 + 100))
def test_long_random_text_up_to_and_past_the_size_cap_only_raises_invalid_token_error(unit: str, repeat: int) -> None:
    _only_invalid_token_errors(unit * repeat)


@scaled(3)
@given(st.binary(max_size=300), st.sampled_from(["latin-1", "utf-8-replace", "utf-8-surrogateescape", "raw"]))
def test_random_bytes_only_ever_raise_invalid_token_error(data: bytes, decoding: str) -> None:
    """Bytes as a server might decode a header (latin-1, as ASGI does), or decoded wrongly, or not decoded at all."""
    token: object
    if decoding == "latin-1":
        token = data.decode("latin-1")
    elif decoding == "raw":
        token = data
    else:
        token = data.decode("utf-8", decoding.removeprefix("utf-8-"))
    _only_invalid_token_errors(token)


@given(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.lists(st.text())
    | st.dictionaries(st.text(), st.text())
)
def test_values_that_are_not_strings_only_raise_invalid_token_error(value: object) -> None:
    """A framework or a JSON body may hand over anything; only a string can be a token."""
    _only_invalid_token_errors(value)


_TOKEN_ALPHABET = B64URL_ALPHABET + "=+/. \t\n%"


@scaled(3)
@given(st.lists(st.text(alphabet=_TOKEN_ALPHABET, max_size=60), min_size=1, max_size=7).map(".".join))
def test_random_token_shaped_strings_only_raise_invalid_token_error(token: str) -> None:
    _only_invalid_token_errors(token)


# Header parameters with the values that matter and arbitrary ones.
header_values = st.sampled_from([*ALGORITHMS, "none", "HS384", None, "", "JWT", ["b64"], False]) | json_values
headers = st.dictionaries(
    st.sampled_from(["alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5c", "x5u", "enc", "zip", "cty"])
    | st.text(max_size=5),
    header_values,
    max_size=5,
)
raw_json_texts = st.sampled_from(
    [
        b'{"alg":"HS256","alg":"none"}',
        b'{"alg":"EdDSA"} ',
        b' {"alg":"EdDSA"}',
        b'\xef\xbb\xbf{"alg":"EdDSA"}',
        b'{"alg":"EdDSA",}',
        b'{"alg":"EdDSA"}{"alg":"none"}',
        b'{"alg":"EdDSA","x":NaN}',
        b'{"alg":"EdDSA","x":1e999}',
        b'{"alg":"EdDSA","x":' + b"9" * 5000 + b"}",
        b'{"alg":"EdDSA","x":"\\ud800"}',
        b'{"alg":"EdDSA","x":"\xff"}',
        b'{"alg":"EdDSA","x":' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"alg":"EdDSA","x":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b"[]",
        b"null",
        b'"EdDSA"',
        b"",
    ]
)


def _segment(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return b64url(raw)


@scaled(3)
@given(
    header=headers | raw_json_texts,
    payload=json_values | raw_json_texts | st.dictionaries(st.text(max_size=8), json_values, max_size=6),
    signature=st.binary(max_size=600),
)
def test_random_json_headers_and_payloads_with_random_signatures_only_raise_invalid_token_error(
    header: Any, payload: Any, signature: bytes
) -> None:
    _only_invalid_token_errors(f"{_segment(header)}.{_segment(payload)}.{b64url(signature)}")


@scaled(3)
@given(
    alg=st.sampled_from(ALGORITHMS),
    kind=st.sampled_from(KINDS),
    extra_header=headers,
    payload=json_values | st.dictionaries(st.text(max_size=8), json_values, max_size=6),
    claims=st.dictionaries(
        st.sampled_from(["sub", "iss", "aud", "exp", "iat", "nbf", "user", "session", "email", "name", "sid"]),
        json_values,
        max_size=8,
    ),
)
def test_random_json_signed_by_the_genuine_key_is_refused_or_accepted_exactly_as_the_policy_says(
    alg: str, kind: TokenKind, extra_header: dict[str, Any], payload: Any, claims: dict[str, Any]
) -> None:
    """An issuer that signs garbage: the parser and the claims policy must cope with every JSON shape and type."""
    issuer = factory(alg)
    header = {**issuer.header(), **extra_header, "alg": alg}
    body = {**payload, **claims} if isinstance(payload, dict) else payload
    token = sign_compact(header, body if isinstance(body, dict) else json.dumps(body).encode(), issuer.private_key)
    verifier = issuer.verifier(kind)
    try:
        identity = verify_both_ways(verifier, token)
    except InvalidTokenError:
        return
    assert isinstance(identity, Identity)
    policy = Policy(kind, issuer.issuer, frozenset({issuer.issuer}), 0.0)
    typ = header.get("typ")
    assert not policy_violations(policy, alg, typ if isinstance(typ, str) else None, body, NOW)


@scaled(3)
@given(st.text(max_size=300) | st.lists(st.text(alphabet=_TOKEN_ALPHABET, max_size=60), max_size=7).map(".".join))
def test_decode_unverified_only_raises_invalid_token_error(token: str) -> None:
    """The diagnostics path (``inspect``) parses the same hostile input and must fail the same way."""
    try:
        header, claims = decode_unverified(token)
    except InvalidTokenError:
        return
    assert isinstance(header, dict)
    assert isinstance(claims, dict)
