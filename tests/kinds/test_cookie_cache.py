"""The session_data cookie cache's compact and jwe strategies (BETTER_AUTH.md section 7), written here the way Better
Auth writes them; tests/interop/sessions reads the ones a live Better Auth server sets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

import pytest

from betterauth_jwt import (
    ExpiredTokenError,
    InvalidClaimsError,
    InvalidSignatureError,
    MalformedTokenError,
    SharedSecret,
    StaticJWKS,
    TokenKind,
    Verifier,
)
from betterauth_jwt._jose.jwe import cbc_hmac_encrypt
from betterauth_jwt._kinds.cookie_cache import jwe_key, jwe_kid
from betterauth_jwt.testing import TokenFactory

SECRET = "cookie-cache-secret-0123456789abcdefghijklmnopqrstuv"
OLD = "the-previous-secret-0123456789abcdefghijklmnopqrstuv"
NOW = 1_780_000_000


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def payload(**session: Any) -> dict[str, Any]:
    return {
        "session": {
            "id": "s1", "token": "x7Rk2PqLm9Vt4Wn8Ys3Bc6Hd1Jf5Gz0a", "userId": "u1",
            "expiresAt": "2026-06-28T20:26:40.000Z", "createdAt": "2026-05-28T20:00:00.000Z",
            "updatedAt": "2026-05-28T20:00:00.000Z", "ipAddress": "", "userAgent": "curl", **session,
        },
        "user": {"id": "u1", "name": "Zoë", "email": "zoe@example.com", "emailVerified": True, "image": None,
                 "createdAt": "2026-05-28T20:00:00.000Z", "updatedAt": "2026-05-28T20:00:00.000Z"},
        "updatedAt": (NOW - 10) * 1000,
        "version": "1",
    }  # fmt: skip


def compact(data: dict[str, Any], expires_at_ms: int = (NOW + 300) * 1000, secret: str = SECRET) -> str:
    """Better Auth's setCookieCache, strategy "compact"."""
    signed = json.dumps({**data, "expiresAt": expires_at_ms}, separators=(",", ":"), ensure_ascii=False)
    signature = b64url(hmac.digest(secret.encode(), signed.encode(), hashlib.sha256))
    document = {"session": data, "expiresAt": expires_at_ms, "signature": signature}
    return b64url(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())


def jwe(claims: dict[str, Any], secret: str = SECRET, *, kid: bool = True, header: dict[str, Any] | None = None) -> str:
    """Better Auth's symmetricEncodeJWT: dir + A256CBC-HS512 with the HKDF-derived key."""
    key = jwe_key(secret.encode())
    protected = {"alg": "dir", "enc": "A256CBC-HS512", **({"kid": jwe_kid(key)} if kid else {}), **(header or {})}
    protected_segment = b64url(json.dumps(protected, separators=(",", ":")).encode())
    iv = os.urandom(16)
    ciphertext, tag = cbc_hmac_encrypt(
        "A256CBC-HS512", key, protected_segment.encode(), iv, json.dumps(claims).encode()
    )
    return ".".join([protected_segment, "", b64url(iv), b64url(ciphertext), b64url(tag)])


def jwe_claims(**extra: Any) -> dict[str, Any]:
    return {**payload(), "iat": NOW - 10, "exp": NOW + 300, "jti": "6c1e3b5e-0d55-4f0b-9d4e-3b2f1c1a9b77", **extra}


def verifier(*secrets: str) -> Verifier:
    return Verifier(SharedSecret(list(secrets) or SECRET), kind=TokenKind.SESSION_COOKIE, clock=lambda: NOW)


# -- compact ----------------------------------------------------------------------------------------------------------


def test_compact_is_verified() -> None:
    identity = verifier().verify(compact(payload()))
    assert identity.kind is TokenKind.SESSION_COOKIE
    assert (identity.user_id, identity.session_id, identity.name) == ("u1", "s1", "Zoë")
    assert identity.expires_at.timestamp() == NOW + 300


@pytest.mark.anyio
async def test_compact_and_jwe_async() -> None:
    assert (await verifier().averify(compact(payload()))).user_id == "u1"
    assert (await verifier().averify(jwe(jwe_claims()))).user_id == "u1"


def test_compact_is_checked_with_the_current_secret_only() -> None:
    with pytest.raises(InvalidSignatureError):
        verifier(SECRET, OLD).verify(compact(payload(), secret=OLD))
    assert verifier(SECRET, OLD).verify(compact(payload())).user_id == "u1"


def test_compact_tampering_is_refused() -> None:
    genuine = json.loads(base64.urlsafe_b64decode(compact(payload()) + "=="))
    genuine["session"]["user"]["id"] = genuine["session"]["session"]["userId"] = "admin"
    with pytest.raises(InvalidSignatureError):
        verifier().verify(b64url(json.dumps(genuine).encode()))
    genuine = json.loads(base64.urlsafe_b64decode(compact(payload()) + "=="))
    genuine["expiresAt"] += 3_600_000  # extend its life
    with pytest.raises(InvalidSignatureError):
        verifier().verify(b64url(json.dumps(genuine).encode()))


def test_compact_expiry_and_version() -> None:
    with pytest.raises(ExpiredTokenError):
        verifier().verify(compact(payload(), expires_at_ms=NOW * 1000))
    with pytest.raises(ExpiredTokenError):
        verifier().verify(compact(payload(expiresAt="2026-01-01T00:00:00.000Z")))  # the session itself expired
    with pytest.raises(InvalidClaimsError):
        verifier().verify(compact({**payload(), "version": "2"}))


@pytest.mark.parametrize("value", ["eyJ", "eyJub3Qgc29tZSBqc29u", b64url(b'{"session": 1}'), b64url(b"[]")])
def test_compact_garbage_is_malformed(value: str) -> None:
    with pytest.raises(MalformedTokenError):
        verifier().verify(value)


# -- jwe --------------------------------------------------------------------------------------------------------------


def test_jwe_is_decrypted() -> None:
    identity = verifier().verify(jwe(jwe_claims()))
    assert (identity.user_id, identity.session_id, identity.email) == ("u1", "s1", "zoe@example.com")
    assert identity.claims["jti"]


def test_jwe_tries_every_secret_by_kid_or_in_order() -> None:
    rotated = verifier(SECRET, OLD)
    assert rotated.verify(jwe(jwe_claims(), secret=OLD)).user_id == "u1"
    assert rotated.verify(jwe(jwe_claims(), secret=OLD, kid=False)).user_id == "u1"
    with pytest.raises(InvalidSignatureError):
        verifier(SECRET).verify(jwe(jwe_claims(), secret=OLD))
    with pytest.raises(InvalidSignatureError):  # a kid that names no configured secret
        verifier(SECRET).verify(jwe(jwe_claims(), secret=OLD, kid=False, header={"kid": "unknown"}))


def test_jwe_expiry() -> None:
    with pytest.raises(ExpiredTokenError):
        verifier().verify(jwe(jwe_claims(exp=NOW)))


def test_jwe_tampering_never_reaches_the_cipher() -> None:
    protected, key, iv, ciphertext, tag = jwe(jwe_claims()).split(".")
    last = base64.urlsafe_b64decode(ciphertext + "==")
    flipped = b64url(last[:-1] + bytes([last[-1] ^ 1]))
    for forged in (
        ".".join([protected, key, iv, flipped, tag]),
        ".".join([b64url(b'{"alg":"dir","enc":"A256CBC-HS512"}'), key, iv, ciphertext, tag]),  # header is the AAD
    ):
        with pytest.raises(InvalidSignatureError):
            verifier().verify(forged)


@pytest.mark.parametrize(
    "header", [{"enc": "A256GCM"}, {"alg": "A256KW"}, {"zip": "DEF"}, {"crit": ["exp"]}], ids=lambda h: str(h)
)
def test_other_jwe_shapes_stay_refused(header: dict[str, Any]) -> None:
    with pytest.raises(MalformedTokenError) as refused:
        verifier().verify(jwe(jwe_claims(), header=header))
    assert refused.value.code == "encrypted_token"


def test_only_a_shared_secret_verifier_reads_them() -> None:
    factory = TokenFactory("EdDSA")
    keyed = Verifier(StaticJWKS(factory.jwks), kind=TokenKind.SESSION_COOKIE, clock=lambda: NOW)
    with pytest.raises(MalformedTokenError) as refused:
        keyed.verify(jwe(jwe_claims()))
    assert refused.value.code == "encrypted_token"
    access = Verifier(SharedSecret(SECRET), issuer="https://a.example", audience="https://a.example", clock=lambda: NOW)
    with pytest.raises(MalformedTokenError):
        access.verify(compact(payload()))  # an access-token verifier never reads the cookie cache
