"""Compact JWE (RFC 7516) with direct encryption (``alg: dir``) and AES_CBC_HMAC_SHA2 content encryption (RFC 7518
section 5.2): just what Better Auth's ``jwe`` cookie cache needs, on ``cryptography`` primitives.

The authentication tag is checked, in constant time, before anything is decrypted: a forged or altered token never
reaches the block cipher or the padding check, so it cannot serve as a padding oracle.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .._errors import InvalidSignatureError, MalformedTokenError
from .json import JSONError, loads_strict
from .token import b64url_decode

__all__ = ["CONTENT_ENCRYPTION", "ParsedJWE", "cbc_hmac_decrypt", "cbc_hmac_encrypt", "parse_jwe"]

# enc -> (key bytes: MAC key then AES key, hash, tag bytes): RFC 7518 sections 5.2.3 to 5.2.5.
CONTENT_ENCRYPTION: dict[str, tuple[int, str, int]] = {
    "A128CBC-HS256": (32, "sha256", 16),
    "A192CBC-HS384": (48, "sha384", 24),
    "A256CBC-HS512": (64, "sha512", 32),
}
_IV_BYTES = 16


@dataclass(frozen=True, slots=True)
class ParsedJWE:
    header: dict[str, Any]
    protected: bytes  # the ASCII of the protected header segment: the AAD (RFC 7516 section 5.2 step 14)
    encrypted_key: bytes
    iv: bytes
    ciphertext: bytes
    tag: bytes


def parse_jwe(token: str, max_bytes: int) -> ParsedJWE:
    """The five parts of a compact JWE, decoded; :class:`MalformedTokenError` for anything else."""
    if not isinstance(token, str) or not token.isascii():
        raise MalformedTokenError("the token is not a compact JWE")
    if len(token) > max_bytes:
        raise MalformedTokenError("the token is too large", code="token_too_large")
    parts = token.split(".")
    if len(parts) != 5:
        raise MalformedTokenError("the token is not a compact JWE (five parts)")
    protected, encrypted_key, iv, ciphertext, tag = parts
    try:
        header = loads_strict(b64url_decode(protected))
    except JSONError:
        raise MalformedTokenError("the JWE header is not JSON") from None
    if not isinstance(header, dict):
        raise MalformedTokenError("the JWE header is not a JSON object")
    return ParsedJWE(
        header,
        protected.encode("ascii"),
        b64url_decode(encrypted_key) if encrypted_key else b"",
        b64url_decode(iv),
        b64url_decode(ciphertext),
        b64url_decode(tag),
    )


def _tag(key: bytes, hash_name: str, tag_bytes: int, aad: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    al = (len(aad) * 8).to_bytes(8, "big")  # AL: the AAD's length in bits, 64-bit big-endian
    return hmac.digest(key, aad + iv + ciphertext + al, hash_name)[:tag_bytes]


def cbc_hmac_decrypt(enc: str, key: bytes, aad: bytes, iv: bytes, ciphertext: bytes, tag: bytes) -> bytes:
    """RFC 7518 section 5.2.2.2. :class:`InvalidSignatureError` when the tag does not verify (checked first, in
    constant time); :class:`MalformedTokenError` for sizes no encryption produces."""
    key_bytes, hash_name, tag_bytes = CONTENT_ENCRYPTION[enc]
    if len(key) != key_bytes:
        raise ValueError(f"{enc} needs a {key_bytes}-byte key")
    if len(iv) != _IV_BYTES or len(tag) != tag_bytes or not ciphertext or len(ciphertext) % 16:
        raise MalformedTokenError("the JWE's IV, ciphertext or tag has a length no encryption produces")
    mac_key, enc_key = key[: key_bytes // 2], key[key_bytes // 2 :]
    if not hmac.compare_digest(_tag(mac_key, hash_name, tag_bytes, aad, iv, ciphertext), tag):
        raise InvalidSignatureError("the encrypted token's authentication tag does not verify")
    decryptor = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:  # authentic, so made by the key's holder: a broken encrypter, not an attack
        raise MalformedTokenError("the encrypted token's padding is invalid") from None


def cbc_hmac_encrypt(enc: str, key: bytes, aad: bytes, iv: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    """RFC 7518 section 5.2.2.1: ``(ciphertext, tag)``. For tests and the testing kit; verification only decrypts."""
    key_bytes, hash_name, tag_bytes = CONTENT_ENCRYPTION[enc]
    if len(key) != key_bytes or len(iv) != _IV_BYTES:
        raise ValueError(f"{enc} needs a {key_bytes}-byte key and a 16-byte IV")
    mac_key, enc_key = key[: key_bytes // 2], key[key_bytes // 2 :]
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(plaintext) + padder.finalize()) + encryptor.finalize()
    return ciphertext, _tag(mac_key, hash_name, tag_bytes, aad, iv, ciphertext)
