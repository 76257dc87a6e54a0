"""Signature verification per JWS algorithm (RFC 7518 section 3), straight on ``cryptography``.

Each function takes an already-validated public key and returns a ``(signing_input, signature) -> bool`` callable, built
once when the key is loaded so that verifying a token costs one dict lookup and one call into OpenSSL.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from . import ed25519, hmac_pads

SignatureCheck = Callable[[bytes, bytes], bool]

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALGORITHM_BY_CURVE = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
EC_ALGORITHMS = frozenset(EC_ALGORITHM_BY_CURVE.values())
OKP_ALGORITHMS = frozenset({"EdDSA"})
ASYMMETRIC_ALGORITHMS = RSA_ALGORITHMS | EC_ALGORITHMS | OKP_ALGORITHMS
SUPPORTED_ALGORITHMS = HMAC_ALGORITHMS | ASYMMETRIC_ALGORITHMS

_HASH_BY_SIZE = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
_HMAC_DIGEST = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
HMAC_MIN_KEY_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}  # RFC 7518 3.2: at least the hash output size
_EC_COORDINATE_BYTES = {"ES256": 32, "ES384": 48, "ES512": 66}
_PKCS1 = padding.PKCS1v15()
# RFC 7518 3.5: the PSS salt is as long as the hash output; AUTO would accept other salt lengths.
_PSS = {size: padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size) for size, h in _HASH_BY_SIZE.items()}


def hmac_check(secret: bytes, alg: str) -> SignatureCheck:
    return hmac_pads.check(secret, _HMAC_DIGEST[alg])  # hmac.digest's result, without its per-call key setup


def rsa_check(key: rsa.RSAPublicKey, alg: str) -> SignatureCheck:
    hash_ = _HASH_BY_SIZE[alg[2:]]
    pad = _PKCS1 if alg.startswith("RS") else _PSS[alg[2:]]
    verify = key.verify
    modulus_bytes = (key.key_size + 7) // 8

    def check(signing_input: bytes, signature: bytes) -> bool:
        if len(signature) != modulus_bytes:  # RFC 8017: the signature is exactly k octets
            return False
        try:
            verify(signature, signing_input, pad, hash_)
        except InvalidSignature:
            return False
        return True

    return check


def ec_check(key: ec.EllipticCurvePublicKey, alg: str) -> SignatureCheck:
    size = _EC_COORDINATE_BYTES[alg]
    algorithm = ec.ECDSA(_HASH_BY_SIZE[alg[2:]])
    verify = key.verify

    def check(signing_input: bytes, signature: bytes) -> bool:
        # JWS carries R || S as two fixed-size big-endian integers (RFC 7518 3.4), not DER.
        if len(signature) != 2 * size:
            return False
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        try:
            verify(encode_dss_signature(r, s), signing_input, algorithm)
        except InvalidSignature:
            return False
        return True

    return check


def ed25519_check(key: Ed25519PublicKey) -> SignatureCheck:
    return ed25519.check(key.public_bytes_raw())  # libsodium when PyNaCl is installed; the same answers either way
