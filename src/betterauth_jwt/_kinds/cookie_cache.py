"""The ``session_data`` cookie cache's two strategies that are not a JWS (BETTER_AUTH.md sections 2 and 7).

- ``compact`` (Better Auth's default): base64url-nopad of JSON ``{session: <payload>, expiresAt: <ms>, signature}``,
  ``signature`` = base64url-nopad(HMAC-SHA256(current secret, ``JSON.stringify({...payload, expiresAt})``)). Checked with
  the current secret only, as Better Auth does.
- ``jwe``: ``{"alg":"dir","enc":"A256CBC-HS512","kid":<RFC 7638 thumbprint>}``; the key is HKDF-SHA256(secret,
  salt "better-auth-session", info "BetterAuth.js Generated Encryption Key", 64 bytes). Every secret of the rotation
  list is tried, by ``kid`` when there is one, else in order, as Better Auth does. Claims: the payload, ``iat``,
  ``exp``, ``jti``.

``payload`` is ``{session, user, updatedAt, version}``. Both carry Better Auth's raw session token in
``session.token``; it is never logged. Identities have ``kind=TokenKind.SESSION_COOKIE``, as for the ``jwt`` strategy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .._errors import ExpiredTokenError, InvalidClaimsError, InvalidSignatureError, MalformedTokenError
from .._jose.json import loads_object
from .._jose.jwe import cbc_hmac_decrypt, parse_jwe
from .._jose.token import b64url_decode
from .claims import ValidityWindow, check_times, is_identifier
from .identity import Identity, TokenKind, identity_from_claims

__all__ = ["CookieCacheFormats", "jwe_key", "jwe_kid"]

JWE_SALT = b"better-auth-session"
JWE_INFO = b"BetterAuth.js Generated Encryption Key"
JWE_ENC = "A256CBC-HS512"
COOKIE_CACHE_VERSION = "1"  # Better Auth's session.cookieCache.version default
_COMPACT_PREFIX = "eyJ"  # base64url of '{"': the compact strategy is a JSON object


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwe_key(secret: bytes) -> bytes:
    """The 64-byte A256CBC-HS512 key Better Auth derives from a secret (``symmetricEncodeJWT``)."""
    return HKDF(algorithm=hashes.SHA256(), length=64, salt=JWE_SALT, info=JWE_INFO).derive(secret)


def jwe_kid(key: bytes) -> str:
    """RFC 7638 thumbprint of the key as an ``oct`` JWK: the ``kid`` Better Auth puts in the JWE header."""
    canonical = json.dumps({"k": _b64url(key), "kty": "oct"}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


class CookieCacheFormats:
    """Verifies ``compact`` and ``jwe`` cookie caches with Better Auth's secrets (current first)."""

    def __init__(self, secrets: Sequence[bytes], *, leeway: float, max_bytes: int) -> None:
        self._current = secrets[0]
        self._jwe_keys = tuple((jwe_kid(key), key) for key in map(jwe_key, secrets))
        self._leeway = leeway
        self._max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"CookieCacheFormats(<{len(self._jwe_keys)} secret(s)>)"

    @staticmethod
    def recognises(token: object) -> bool:
        """Whether ``token`` has the shape of one of these formats (a JWS goes to the JWS pipeline)."""
        if not isinstance(token, str):
            return False
        dots = token.count(".")
        return dots == 4 or (dots == 0 and token.startswith(_COMPACT_PREFIX))

    def verify(self, token: str, now: float) -> tuple[Identity, ValidityWindow]:
        if len(token) > self._max_bytes:
            raise MalformedTokenError("the token is too large", code="token_too_large")
        claims = self._jwe_claims(token) if token.count(".") == 4 else self._compact_claims(token)
        window = check_times(claims, now, self._leeway)
        user, session = claims.get("user"), claims.get("session")
        if not isinstance(user, dict) or not isinstance(session, dict) or not is_identifier(user.get("id")):
            raise InvalidClaimsError("the session cookie has no user with an id", code="missing_claim")
        if "userId" in session and session["userId"] != user["id"]:
            raise InvalidClaimsError("the session cookie's session belongs to another user")
        if claims.get("version", COOKIE_CACHE_VERSION) != COOKIE_CACHE_VERSION:
            raise InvalidClaimsError("the session cookie was written for another cookieCache.version")
        session_expiry = _timestamp(session.get("expiresAt"))
        if session_expiry is not None and session_expiry <= now - self._leeway:
            raise ExpiredTokenError("the session in the cookie cache has expired")
        valid_from, valid_until = window
        if session_expiry is not None:
            valid_until = min(valid_until, session_expiry + self._leeway)
        return identity_from_claims(TokenKind.SESSION_COOKIE, claims), (valid_from, valid_until)

    def _compact_claims(self, token: str) -> dict[str, Any]:
        document = loads_object(b64url_decode(token))
        if document is None:
            raise MalformedTokenError("the session cookie is not Better Auth's compact cookie cache")
        payload, expires_at, signature = document.get("session"), document.get("expiresAt"), document.get("signature")
        if not isinstance(payload, dict) or type(expires_at) is not int or not isinstance(signature, str):
            raise MalformedTokenError("the session cookie is not Better Auth's compact cookie cache")
        # The signed text is JSON.stringify({...payload, expiresAt}): insertion order kept (a later expiresAt in the
        # payload is overwritten in place, as a JavaScript spread does), no spaces, non-ASCII as it is.
        signed = json.dumps({**payload, "expiresAt": expires_at}, separators=(",", ":"), ensure_ascii=False)
        expected = _b64url(hmac.digest(self._current, signed.encode("utf-8", "surrogatepass"), "sha256"))
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogatepass")):
            raise InvalidSignatureError("the session cookie's signature does not verify")
        updated_at = payload.get("updatedAt")
        issued = updated_at / 1000 if type(updated_at) is int and 0 <= updated_at <= expires_at else 0
        return {**payload, "iat": issued, "exp": expires_at / 1000}

    def _jwe_claims(self, token: str) -> dict[str, Any]:
        parsed = parse_jwe(token, self._max_bytes)
        header = parsed.header
        if header.get("alg") != "dir" or header.get("enc") != JWE_ENC or parsed.encrypted_key:
            raise MalformedTokenError(
                "the token is encrypted (JWE) with something other than Better Auth's cookie cache (dir, "
                "A256CBC-HS512)",
                code="encrypted_token",
            )
        if "zip" in header or "crit" in header:
            raise MalformedTokenError(
                "the encrypted token asks for features Better Auth never uses", code="encrypted_token"
            )
        kid = header.get("kid")
        keys = [key for key_id, key in self._jwe_keys if kid is None or key_id == kid]
        for key in keys:
            try:
                plaintext = cbc_hmac_decrypt(JWE_ENC, key, parsed.protected, parsed.iv, parsed.ciphertext, parsed.tag)
            except InvalidSignatureError:
                continue
            claims = loads_object(plaintext)
            if claims is None:
                raise MalformedTokenError("the encrypted session cookie does not hold a JSON object")
            return claims
        raise InvalidSignatureError("the encrypted session cookie was not made with any configured secret")


def _timestamp(value: object) -> float | None:
    # The session's own expiresAt (ISO-8601 text): Better Auth refuses a cache whose session has expired.
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()
