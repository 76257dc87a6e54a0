"""Shared material for the forgery suite: one token factory per algorithm, foreign keys, and the rejection check.

Keys are made once per process (RSA key generation costs ~100 ms), never per Hypothesis example.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from betterauth_jwt import Identity, InvalidTokenError, TokenKind, Verifier
from betterauth_jwt.testing import PrivateKey, TokenFactory, b64url, generate_private_key

NOW = 1_760_000_000.0
ALGORITHMS = ("EdDSA", "ES256", "ES512", "RS256", "PS256", "HS256")
KINDS = (TokenKind.ACCESS, TokenKind.SESSION_COOKIE)
ALG_KIND = [pytest.param(alg, kind, id=f"{alg}-{kind.value}") for alg in ALGORITHMS for kind in KINDS]
B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def scaled(factor: float) -> settings:
    """The active profile's example count times ``factor``: cheap properties get more examples, costly ones fewer."""
    return settings(max_examples=max(10, int(settings().max_examples * factor)))


@functools.cache
def factory(alg: str) -> TokenFactory:
    """The genuine issuer for ``alg``: its keys are the only ones the verifiers built from it trust."""
    return TokenFactory(alg, clock=lambda: NOW)


@functools.cache
def rotated_factory(alg: str) -> TokenFactory:
    """An issuer that has rotated once: two kids published, the newer one signing."""
    issuer = TokenFactory(alg, clock=lambda: NOW)
    issuer.rotate()
    return issuer


@functools.cache
def foreign_key(alg: str, number: int = 0) -> PrivateKey | bytes:
    """A key of ``alg`` that no genuine provider holds (an attacker's own key or a guessed secret)."""
    if alg.startswith("HS"):
        return bytes([number + 1]) * 64
    return generate_private_key(alg)


@functools.cache  # one token per process, so that a failing example replays against the same bytes
def genuine_token(alg: str, kind: TokenKind) -> str:
    issuer = factory(alg)
    return issuer.access_token("user_1") if kind is TokenKind.ACCESS else issuer.session_cookie("user_1")


def genuine_claims(alg: str, kind: TokenKind) -> dict[str, Any]:
    issuer = factory(alg)
    if kind is TokenKind.ACCESS:
        return issuer.access_claims("user_1")
    return issuer.session_cookie_claims("user_1")


def verifier(alg: str, kind: TokenKind, **options: Any) -> Verifier:
    return factory(alg).verifier(kind, **options)


def decode_bytes(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode_segment(segment: str) -> Any:
    return json.loads(decode_bytes(segment))


def encode_segment(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def verify_both_ways(check: Verifier, token: object) -> Identity:
    """``verify`` and ``averify`` must agree; returns the identity or raises what both raised."""
    try:
        identity = check.verify(token)  # type: ignore[arg-type]
    except InvalidTokenError as sync_error:
        with pytest.raises(type(sync_error)):
            asyncio.run(check.averify(token))  # type: ignore[arg-type]
        raise
    assert asyncio.run(check.averify(token)) == identity  # type: ignore[arg-type]
    return identity


def assert_forgery_rejected(check: Verifier, forged: object, genuine: str | None = None) -> InvalidTokenError:
    """``forged`` is refused with an :class:`InvalidTokenError` (any other exception fails the test), by both entry
    points, and refusing it changes nothing for the genuine token."""
    with pytest.raises(InvalidTokenError) as caught:
        verify_both_ways(check, forged)
    if genuine is not None:
        assert check.verify(genuine).user_id == "user_1"
    return caught.value


# Strategies shared by several modules.

b64url_text = st.text(alphabet=B64URL_ALPHABET, max_size=64)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
