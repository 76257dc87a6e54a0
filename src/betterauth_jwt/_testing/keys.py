"""Key material for tests: generate a signing key, publish it as a JWK, sign a compact JWS."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .._jose import algorithms as algs

__all__ = ["PrivateKey", "b64url", "generate_private_key", "public_jwk", "sign_compact"]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | Ed25519PrivateKey
_CURVE_BY_ALG = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
_CRV_NAME = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_HASH = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int, size: int | None = None) -> str:
    return b64url(value.to_bytes(size or (value.bit_length() + 7) // 8, "big"))


def generate_private_key(alg: str) -> PrivateKey:
    """A fresh private key for an asymmetric JWS algorithm (RSA keys are 2048 bits, like Better Auth's)."""
    if alg in algs.RSA_ALGORITHMS:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg in _CURVE_BY_ALG:
        return ec.generate_private_key(_CURVE_BY_ALG[alg])
    if alg == "EdDSA":
        return Ed25519PrivateKey.generate()
    raise ValueError(f"no private key type for {alg}")


def public_jwk(key: PrivateKey, alg: str, kid: str) -> dict[str, str]:
    """The public JWK as Better Auth publishes it: ``{kty, crv?, x?, y?, n?, e?, alg, kid}``, no ``use``."""
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e), "alg": alg, "kid": kid}
    if isinstance(public, ec.EllipticCurvePublicKey):
        point = public.public_numbers()
        size = (public.curve.key_size + 7) // 8
        return {
            "kty": "EC",
            "crv": _CRV_NAME[public.curve.name],
            "x": _int_b64(point.x, size),
            "y": _int_b64(point.y, size),
            "alg": alg,
            "kid": kid,
        }
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "alg": alg, "kid": kid}


def sign_compact(header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, key: PrivateKey | bytes) -> str:
    """Sign exactly the header given (no fields added or removed), so tests can build hostile tokens too."""
    alg = header["alg"]
    body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
    signing_input = f"{b64url(json.dumps(header, separators=(',', ':')).encode())}.{b64url(body)}".encode()
    if isinstance(key, bytes):
        import hmac

        signature = hmac.digest(key, signing_input, "sha" + alg[2:])
    elif isinstance(key, rsa.RSAPrivateKey):
        hash_ = _HASH[alg[2:]]
        pad = padding.PKCS1v15() if alg.startswith("RS") else padding.PSS(padding.MGF1(hash_), hash_.digest_size)
        signature = key.sign(signing_input, pad, hash_)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(_HASH[alg[2:]])))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        signature = key.sign(signing_input)
    return f"{signing_input.decode()}.{b64url(signature)}"
