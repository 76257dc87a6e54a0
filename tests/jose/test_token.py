"""Compact JWS parsing (``_token``): size cap first, strict base64url, strict JSON objects, header rules."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from betterauth_jwt import MalformedTokenError, UnsupportedTokenError, decode_unverified
from betterauth_jwt._jose.algorithms import SUPPORTED_ALGORITHMS
from betterauth_jwt._jose.token import DEFAULT_MAX_TOKEN_BYTES, b64url_decode, parse_token
from betterauth_jwt.testing import b64url

ALLOWED = frozenset({"EdDSA", "HS256"})
SIGNATURE = b64url(b"\x01" * 64)


def _segment(value: Any) -> str:
    return b64url(value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode())


_DEFAULT: Any = object()


def _token(header: Any = _DEFAULT, payload: Any = _DEFAULT, signature: str = SIGNATURE) -> str:
    header = {"alg": "EdDSA", "kid": "k1"} if header is _DEFAULT else header
    payload = {"sub": "u1"} if payload is _DEFAULT else payload
    return f"{_segment(header)}.{_segment(payload)}.{signature}"


def _parse(token: object, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES, allowed: frozenset[str] = ALLOWED) -> Any:
    return parse_token(token, allowed_algorithms=allowed, max_bytes=max_bytes)


def _code(token: object, **options: Any) -> str:
    with pytest.raises((MalformedTokenError, UnsupportedTokenError)) as caught:
        _parse(token, **options)
    return caught.value.code


def test_a_well_formed_token_is_split_and_decoded() -> None:
    token = _token(payload={"sub": "u1", "n": [1, {"a": None}]})
    parsed = _parse(token)
    assert parsed.alg == "EdDSA"
    assert parsed.kid == "k1"
    assert parsed.typ is None
    assert parsed.claims == {"sub": "u1", "n": [1, {"a": None}]}
    assert parsed.signature == b"\x01" * 64
    assert parsed.signing_input == token.rsplit(".", 1)[0].encode()


# -- size cap, checked before anything is decoded ---------------------------------------------------------------------


def test_the_size_cap_is_checked_before_decoding() -> None:
    # Garbage that would fail every later check still reports token_too_large: nothing after the length was looked at.
    assert _code("!" * (DEFAULT_MAX_TOKEN_BYTES + 1)) == "token_too_large"
    assert _code("é" * (DEFAULT_MAX_TOKEN_BYTES + 1)) == "token_too_large"
    assert _code("a." * 10_000_000) == "token_too_large"  # 20 MB: rejected on its length alone
    header_only = _token()
    assert _code(header_only, max_bytes=len(header_only) - 1) == "token_too_large"
    assert _parse(header_only, max_bytes=len(header_only)).kid == "k1"


# -- shape ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, b"a.b.c", 123, ["a", "b", "c"], {"token": "x"}])
def test_non_strings_are_malformed(token: object) -> None:
    assert _code(token) == "malformed_token"


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "a.b.c.d.e.f", "..", "....", "eyJhbGciOiJFZERTQSJ9"],
)
def test_wrong_number_of_parts_is_malformed(token: str) -> None:
    assert _code(token) in {"malformed_token", "encrypted_token"}


def test_five_parts_is_a_jwe() -> None:
    assert _code("a.b.c.d.e") == "encrypted_token"


def test_non_ascii_is_malformed() -> None:
    good = _token()
    assert _code(good[:5] + "é" + good[6:]) == "malformed_token"
    assert _code(good + "\u2028") == "malformed_token"


@pytest.mark.parametrize(
    "token",
    [
        # the bearer plugin's set-auth-token / the session_token cookie, URL-decoded (as recorded from Better Auth 1.7)
        "aRmqDpiZytrElNf5bd7JfSMPLpYmhcp4.4t4wSruxjDCfz/Vaefb3o/HSPyZ85M3YM56ln2P+ZQM=",
        # the raw cookie value: better-call URL-encodes the signed value
        "aRmqDpiZytrElNf5bd7JfSMPLpYmhcp4.4t4wSruxjDCfz%2FVaefb3o%2FHSPyZ85M3YM56ln2P%2BZQM%3D",
        "8h2VJ8Zm62f73IWT1YokcdEB7cqZZ25o.IGokgIqNmY/l2uMIPMjQ8NqI10aUqWCcKDRu4GaB4Cw=",
    ],
)
def test_a_better_auth_session_token_is_named_as_such(token: str) -> None:
    with pytest.raises(MalformedTokenError) as caught:
        _parse(token)
    assert caught.value.code == "not_a_jwt"
    assert "session token" in caught.value.description
    assert "jwt plugin" in caught.value.description
    assert token.split(".")[0] not in str(caught.value)


# -- base64url: one spelling per token --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("header", lambda s: s + "="),
        ("header", lambda s: s + "=="),
        ("payload", lambda s: s + "="),
        ("signature", lambda s: s + "=="),
        ("signature", lambda s: s[:10] + "+" + s[11:]),
        ("signature", lambda s: s[:10] + "/" + s[11:]),
        ("payload", lambda s: " " + s),
        ("payload", lambda s: s + " "),
        ("payload", lambda s: s[:4] + "\n" + s[4:]),
        ("payload", lambda s: s[:4] + "\t" + s[4:]),
        ("signature", lambda s: s + "AAA"),  # length 4n+1: trailing data that cannot be base64
        ("signature", lambda s: s + "AAAA"),  # trailing data that decodes: the signature has the wrong length
        ("header", lambda s: s + "#"),
        ("header", lambda s: s[:-1] + "?"),
    ],
)
def test_non_canonical_or_foreign_base64_is_malformed(where: str, change: Any) -> None:
    header, payload, signature = _token().split(".")
    parts = {"header": header, "payload": payload, "signature": signature}
    parts[where] = change(parts[where])
    token = ".".join(parts.values())
    if where == "signature" and parts[where].endswith("AAAA"):
        # Decodes fine; the parser passes 67 bytes on and the signature check refuses the length (test_algorithms).
        assert len(_parse(token).signature) == 67
        return
    assert _code(token) == "malformed_token"


def test_every_non_canonical_last_character_is_refused() -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for data in (b"\x00", b"\xff", b"\x00\x00", b"\xff\xff", b"abcde"):
        encoded = b64url(data)
        accepted = [c for c in alphabet if _decodes(encoded[:-1] + c)]
        # Exactly the characters with the unused low bits clear: 4 of them for 1 trailing byte, 16 for 2.
        assert len(accepted) == (4 if len(data) % 3 == 1 else 16)
        assert encoded[-1] in accepted
        for c in accepted:
            assert b64url(b64url_decode(encoded[:-1] + c)) == encoded[:-1] + c  # one spelling per byte string


def _decodes(segment: str) -> bool:
    try:
        b64url_decode(segment)
    except MalformedTokenError:
        return False
    return True


@given(st.binary(max_size=100))
def test_base64url_round_trips(data: bytes) -> None:
    assert b64url_decode(b64url(data)) == data


@given(st.text(max_size=40))
def test_base64url_accepts_only_the_canonical_spelling(segment: str) -> None:
    try:
        data = b64url_decode(segment)
    except MalformedTokenError:
        return
    assert b64url(data) == segment
    # and it agrees with the standard library's decoder on what the bytes are
    assert base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)) == data


# -- JSON objects -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [[1], "text", 1, None, True, []])
def test_header_and_payload_must_be_json_objects(value: Any) -> None:
    with pytest.raises(MalformedTokenError, match="header is not a JSON object"):
        _parse(_token(header=value))
    with pytest.raises(MalformedTokenError, match="payload is not a JSON object"):
        _parse(_token(payload=value))


def test_duplicate_keys_are_malformed() -> None:
    header = b'{"alg":"EdDSA","kid":"k1","kid":"k2"}'
    payload = b'{"sub":"admin","sub":"user"}'
    assert _code(f"{b64url(header)}.{_segment({'sub': 'u'})}.{SIGNATURE}") == "malformed_token"
    assert _code(f"{_segment({'alg': 'EdDSA'})}.{b64url(payload)}.{SIGNATURE}") == "malformed_token"


def test_deep_nesting_is_malformed() -> None:
    deep: Any = "x"
    for _ in range(200):
        deep = [deep]
    assert _code(_token(payload={"a": deep})) == "malformed_token"
    assert _code(_token(header={"alg": "EdDSA", "x": deep})) == "malformed_token"


def test_invalid_json_and_utf8_are_malformed() -> None:
    for raw in (b"{", b'{"a":NaN}', b"\xff", b'{"a":1}garbage', b""):
        assert _code(f"{_segment({'alg': 'EdDSA'})}.{b64url(raw)}.{SIGNATURE}") == "malformed_token"


def test_an_empty_signature_is_malformed() -> None:
    assert _code(_token(signature="")) == "malformed_token"


# -- header rules -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", "NoNe"])
def test_alg_none_in_any_spelling_is_refused(alg: str) -> None:
    for allowed in (ALLOWED, frozenset({alg}), SUPPORTED_ALGORITHMS | {alg}):
        with pytest.raises(UnsupportedTokenError, match="alg none"):
            _parse(_token(header={"alg": alg}, signature=""), allowed=allowed)
        with pytest.raises(UnsupportedTokenError, match="alg none"):
            _parse(_token(header={"alg": alg}), allowed=allowed)


@pytest.mark.parametrize("alg", ["none ", " none", "none\x00", "", "hs256", "ES256K", "RSA1_5", "dir"])
def test_algorithms_outside_the_allow_list_are_refused(alg: str) -> None:
    assert _code(_token(header={"alg": alg})) == "unsupported_algorithm"


@pytest.mark.parametrize("header", [{}, {"kid": "k1"}, {"alg": None}, {"alg": 1}, {"alg": ["EdDSA"]}])
def test_a_missing_or_non_string_alg_is_malformed(header: dict[str, Any]) -> None:
    assert _code(_token(header=header)) == "malformed_token"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"crit": ["exp"], "exp": 1}, "unsupported_header"),
        ({"crit": []}, "unsupported_header"),
        ({"crit": ["b64"], "b64": False}, "unsupported_header"),
        ({"b64": False}, "unsupported_header"),
        ({"b64": True}, "unsupported_header"),
        ({"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}, "embedded_key"),
        ({"jku": "https://attacker.example/jwks.json"}, "embedded_key"),
        ({"x5u": "https://attacker.example/cert.pem"}, "embedded_key"),
        ({"x5c": ["MIIB"]}, "embedded_key"),
        ({"enc": "A256GCM"}, "encrypted_token"),
        ({"zip": "DEF"}, "encrypted_token"),
    ],
)
def test_header_extensions_and_embedded_keys_are_refused(extra: dict[str, Any], code: str) -> None:
    assert _code(_token(header={"alg": "EdDSA", "kid": "k1", **extra})) == code


@pytest.mark.parametrize("kid", [1, "", "k" * 257, ["k1"], {"k": 1}, True])
def test_kid_must_be_a_short_string(kid: Any) -> None:
    assert _code(_token(header={"alg": "EdDSA", "kid": kid})) == "malformed_token"


@pytest.mark.parametrize("typ", [1, ["JWT"], {"t": 1}, False])
def test_typ_must_be_a_string(typ: Any) -> None:
    assert _code(_token(header={"alg": "EdDSA", "typ": typ})) == "malformed_token"


def test_header_rules_apply_to_repeated_headers_too() -> None:
    # Header decoding is memoised; the rules must still run on every token, including under another allow-list.
    token = _token(header={"alg": "HS256"})
    assert _parse(token).alg == "HS256"
    assert _code(token, allowed=frozenset({"EdDSA"})) == "unsupported_algorithm"
    assert _parse(token).alg == "HS256"


def test_header_is_judged_before_the_payload_is_decoded() -> None:
    # An unacceptable header wins over a broken payload: the payload is never decoded for such a token.
    token = f"{_segment({'alg': 'none'})}.!!!.{SIGNATURE}"
    assert _code(token) == "unsupported_algorithm"


# -- decode_unverified (diagnostics) ----------------------------------------------------------------------------------


def test_decode_unverified_reads_without_judging_the_header() -> None:
    header, claims = decode_unverified(_token(header={"alg": "none", "jku": "x"}, payload={"sub": "u"}))
    assert header == {"alg": "none", "jku": "x"}
    assert claims == {"sub": "u"}
    with pytest.raises(MalformedTokenError):
        decode_unverified("not a token")
    with pytest.raises(MalformedTokenError) as caught:
        decode_unverified("x" * (DEFAULT_MAX_TOKEN_BYTES + 1))
    assert caught.value.code == "token_too_large"
