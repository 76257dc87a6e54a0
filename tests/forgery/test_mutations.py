"""Any change to a genuine token, by someone without the signing key, is refused.

Each test takes a token the genuine issuer signed (every algorithm, both token kinds), changes it the way an attacker
would, and requires an :class:`InvalidTokenError` from ``verify`` and ``averify`` alike, with the genuine token still
accepted afterwards (a refusal must not poison the verified-token cache).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from betterauth_jwt import TokenKind
from betterauth_jwt.testing import b64url, sign_compact

from ._support import (
    ALG_KIND,
    ALGORITHMS,
    B64URL_ALPHABET,
    assert_forgery_rejected,
    b64url_text,
    decode_bytes,
    decode_segment,
    encode_segment,
    factory,
    foreign_key,
    genuine_token,
    json_values,
    rotated_factory,
    scaled,
    verifier,
)

pytestmark = pytest.mark.parametrize(("alg", "kind"), ALG_KIND)


def test_the_genuine_token_is_accepted(alg: str, kind: TokenKind) -> None:
    """The baseline every property below relies on: without a mutation, the token verifies."""
    assert verifier(alg, kind).verify(genuine_token(alg, kind)).user_id == "user_1"


@scaled(2)
@given(
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255)), min_size=1, max_size=4)
)
def test_flipping_any_bits_anywhere_is_rejected(alg: str, kind: TokenKind, flips: list[tuple[int, int]]) -> None:
    token = genuine_token(alg, kind)
    raw = bytearray(token.encode("ascii"))
    for position, mask in flips:
        raw[position % len(raw)] ^= mask
    forged = raw.decode("latin-1")
    assume(forged != token)
    assert_forgery_rejected(verifier(alg, kind), forged, token)


@given(
    order=st.lists(st.integers(min_value=0, max_value=2), max_size=6),
    extra=st.lists(st.tuples(st.integers(min_value=0, max_value=6), b64url_text), max_size=2),
)
def test_swapped_dropped_duplicated_or_added_segments_are_rejected(
    alg: str, kind: TokenKind, order: list[int], extra: list[tuple[int, str]]
) -> None:
    token = genuine_token(alg, kind)
    segments = token.split(".")
    rearranged = [segments[i] for i in order]
    for position, segment in extra:
        rearranged.insert(position % (len(rearranged) + 1), segment)
    forged = ".".join(rearranged)
    assume(forged != token)
    assert_forgery_rejected(verifier(alg, kind), forged, token)


@given(
    segment=st.integers(min_value=0, max_value=2),
    cut_front=st.integers(min_value=0, max_value=8),
    cut_back=st.integers(min_value=0, max_value=8),
    prefix=b64url_text,
    suffix=b64url_text,
)
def test_truncated_or_extended_segments_are_rejected(
    alg: str, kind: TokenKind, segment: int, cut_front: int, cut_back: int, prefix: str, suffix: str
) -> None:
    token = genuine_token(alg, kind)
    segments = token.split(".")
    body = segments[segment]
    segments[segment] = prefix + body[cut_front : len(body) - cut_back] + suffix
    forged = ".".join(segments)
    assume(forged != token)
    assert_forgery_rejected(verifier(alg, kind), forged, token)


@given(length=st.integers(min_value=0, max_value=600), tail=st.binary(max_size=16), keep_prefix=st.booleans())
def test_signatures_cut_or_lengthened_at_byte_boundaries_are_rejected(
    alg: str, kind: TokenKind, length: int, tail: bytes, keep_prefix: bool
) -> None:
    """Canonically encoded, so only the signature check can refuse it: a MAC or signature prefix, or a valid one with
    bytes appended (a comparison over the shorter length would accept both)."""
    token = genuine_token(alg, kind)
    header, payload, signature = token.split(".")
    raw = decode_bytes(signature)
    forged_raw = raw[: length % len(raw)] if keep_prefix else raw + tail
    assume(forged_raw != raw)
    forged = f"{header}.{payload}.{b64url(forged_raw)}"
    assert_forgery_rejected(verifier(alg, kind), forged, token)


# Header edits: values an attacker would try, and arbitrary ones.
_HEADER_NAMES = ("alg", "kid", "typ", "cty", "crit", "b64", "jwk", "jku", "x5u", "x5c", "zip", "enc", "extra")
_ALG_VALUES = (*ALGORITHMS, "none", "None", "HS384", "HS512", "RS512", "ES384", "Ed25519", "", None)
header_edits = st.dictionaries(
    st.sampled_from(_HEADER_NAMES) | st.text(max_size=6),
    st.sampled_from(_ALG_VALUES) | json_values,
    min_size=1,
    max_size=3,
) | st.fixed_dictionaries({"alg": st.sampled_from(_ALG_VALUES)})
header_removals = st.sets(st.sampled_from(("alg", "kid", "typ")), max_size=2)


def _edited_header(token: str, edits: dict[str, Any], removals: set[str]) -> dict[str, Any]:
    header: dict[str, Any] = decode_segment(token.split(".")[0])
    for name in removals:
        header.pop(name, None)
    header.update(edits)
    return header


@given(edits=header_edits, removals=header_removals)
def test_header_edits_without_re_signing_are_rejected(
    alg: str, kind: TokenKind, edits: dict[str, Any], removals: set[str]
) -> None:
    token = genuine_token(alg, kind)
    header = _edited_header(token, edits, removals)
    _, payload, signature = token.split(".")
    forged = f"{encode_segment(header)}.{payload}.{signature}"
    assume(forged != token)
    assert_forgery_rejected(verifier(alg, kind), forged, token)


@scaled(0.5)
@given(
    edits=header_edits,
    removals=header_removals,
    signer_alg=st.sampled_from(ALGORITHMS),
    kid=st.sampled_from(["genuine", "another-issuer", "absent"]) | st.text(max_size=12),
)
def test_header_edits_re_signed_by_a_key_the_provider_does_not_hold_are_rejected(
    alg: str, kind: TokenKind, edits: dict[str, Any], removals: set[str], signer_alg: str, kid: str
) -> None:
    """The attacker re-signs with a key of their own: of any algorithm, under the genuine kid or another."""
    token = genuine_token(alg, kind)
    header = _edited_header(token, edits, removals)
    other_issuer = rotated_factory(alg).kid if not alg.startswith("HS") else "another-issuer"
    kids = {"genuine": factory(alg).kid, "another-issuer": other_issuer, "absent": None}
    header["kid"] = kids.get(kid, kid)
    if "alg" not in edits:
        header["alg"] = signer_alg
    payload = token.split(".")[1]
    signed_alg = header.get("alg")
    if signed_alg in ALGORITHMS:
        forged = sign_compact(header, decode_segment(payload), foreign_key(signed_alg))
    else:  # not an algorithm anyone can sign with: the attacker sends bytes of their choice
        forged = f"{encode_segment(header)}.{payload}.{b64url(bytes(64))}"
    assert_forgery_rejected(verifier(alg, kind), forged, token)


_TAMPERED_CLAIMS = st.dictionaries(
    st.sampled_from(["sub", "id", "role", "exp", "iat", "nbf", "iss", "aud", "user", "session", "email"])
    | st.text(max_size=6),
    st.sampled_from(["user_2", "admin", 1_900_000_000, ["admin"], {"id": "user_2"}]) | json_values,
    min_size=1,
    max_size=3,
)


@given(edits=_TAMPERED_CLAIMS, removals=st.sets(st.sampled_from(["exp", "iat", "sub", "iss", "aud", "user"])))
def test_claim_edits_without_re_signing_are_rejected(
    alg: str, kind: TokenKind, edits: dict[str, Any], removals: set[str]
) -> None:
    token = genuine_token(alg, kind)
    header, payload, signature = token.split(".")
    claims: dict[str, Any] = decode_segment(payload)
    for name in removals:
        claims.pop(name, None)
    claims.update(edits)
    forged = f"{header}.{encode_segment(claims)}.{signature}"
    assume(forged != token)
    assert_forgery_rejected(verifier(alg, kind), forged, token)


@given(segment=st.integers(min_value=0, max_value=2), spacing=st.sampled_from([" ", "", "\n", "\t", "\r\n"]))
def test_json_re_serialised_without_re_signing_is_rejected(
    alg: str, kind: TokenKind, segment: int, spacing: str
) -> None:
    """Same JSON meaning, other bytes (key order, whitespace): the signature covers bytes, not meaning."""
    token = genuine_token(alg, kind)
    segments = token.split(".")
    if segment == 2:
        segment = 1
    value = decode_segment(segments[segment])
    reordered = dict(reversed(list(value.items())))
    text = "{" + ("," + spacing).join(f'"{key}":{_dumps(item)}' for key, item in reordered.items()) + "}"
    segments[segment] = b64url(text.encode())
    forged = ".".join(segments)
    assume(forged != token)
    assert_forgery_rejected(verifier(alg, kind), forged, token)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# Re-encodings: the same header, payload and signature bytes, spelled differently.

_STANDARD = str.maketrans("-_", "+/")


def _non_canonical_last_character(segment: str, mask: int) -> str:
    """Change only the bits of the last character that base64 decoding drops: the decoded bytes stay the same."""
    unused_bits = {2: 4, 3: 2}.get(len(segment) % 4)
    if unused_bits is None:
        return segment
    index = B64URL_ALPHABET.index(segment[-1])
    return segment[:-1] + B64URL_ALPHABET[index ^ (mask % (1 << unused_bits) or 1)]


@given(
    targets=st.sets(st.integers(min_value=0, max_value=2), min_size=1),
    spelling=st.sampled_from(["padding", "standard-alphabet", "non-canonical-bits", "whitespace", "percent", "both"]),
    mask=st.integers(min_value=1, max_value=15),
    where=st.integers(min_value=0),
    blank=st.sampled_from([" ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x00", "\u00a0", "\u2028", "\ufeff"]),
)
def test_re_encodings_of_the_same_bytes_are_rejected(
    alg: str, kind: TokenKind, targets: set[int], spelling: str, mask: int, where: int, blank: str
) -> None:
    """One token, one spelling: padding, the standard alphabet, dropped bits, blanks or percent-escapes are refused."""
    token = genuine_token(alg, kind)
    segments = token.split(".")
    for index in targets:
        segment = segments[index]
        if spelling in ("padding", "both"):
            segment += "=" * (-len(segment) % 4 or 4)
        if spelling in ("standard-alphabet", "both"):
            segment = segment.translate(_STANDARD)
        if spelling == "non-canonical-bits":
            segment = _non_canonical_last_character(segment, mask)
        if spelling == "whitespace":
            cut = where % (len(segment) + 1)
            segment = segment[:cut] + blank + segment[cut:]
        if spelling == "percent":
            segment = segment.replace("-", "%2D").replace("_", "%5F")
        segments[index] = segment
    forged = ".".join(segments)
    assume(forged != token)
    assert_forgery_rejected(verifier(alg, kind), forged, token)


@given(
    blank=st.sampled_from([" ", "\t", "\n", "\r\n", "\x00", "\u00a0", "\ufeff"]), side=st.sampled_from(["<", ">", "<>"])
)
def test_blanks_around_the_token_are_rejected(alg: str, kind: TokenKind, blank: str, side: str) -> None:
    """Stripping is the adapters' job (``Bearer <token>``); the verifier itself takes exactly one spelling."""
    token = genuine_token(alg, kind)
    forged = (blank if "<" in side else "") + token + (blank if ">" in side else "")
    assert_forgery_rejected(verifier(alg, kind), forged, token)
