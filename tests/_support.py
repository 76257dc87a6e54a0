"""Shared test utilities (not fixtures): the CI rule that a missing component fails instead of skipping, and the
public-key encodings an algorithm-confusion attacker would try."""

from __future__ import annotations

import json
import os
from typing import NoReturn

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from betterauth_jwt.testing import TokenFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip locally when a component (Node, PostgreSQL, Chromium...) is missing; under CI=true, fail: CI installs all."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must install it, so this is a failure, not a skip)")
    pytest.skip(reason)


def public_key_encodings(factory: TokenFactory) -> dict[str, bytes]:
    """Every form in which a verifier's public key is known to the world, i.e. to an attacker who would use it as an
    HMAC secret: PEM, DER, OpenSSH, PKCS#1, raw bytes, its JWK and JWKS as JSON, and the JWK's ``x``/``n`` text."""
    private = factory.private_key
    assert not isinstance(private, bytes)
    public = private.public_key()
    jwk = factory.jwks["keys"][0]
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    encodings = {
        "pem": public.public_bytes(serialization.Encoding.PEM, spki),
        "der": public.public_bytes(serialization.Encoding.DER, spki),
        "openssh": public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH),
        "jwk-json": json.dumps(jwk).encode(),
        "jwk-json-compact": json.dumps(jwk, separators=(",", ":")).encode(),
        "jwks-json": json.dumps(factory.jwks).encode(),
        "x-or-n-member": (jwk.get("x") or jwk["n"]).encode(),
    }
    if isinstance(public, rsa.RSAPublicKey):
        n = public.public_numbers().n
        encodings["raw"] = n.to_bytes((n.bit_length() + 7) // 8, "big")
        encodings["pkcs1-pem"] = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        x962 = serialization.Encoding.X962
        encodings["raw"] = public.public_bytes(x962, serialization.PublicFormat.UncompressedPoint)
        encodings["compressed"] = public.public_bytes(x962, serialization.PublicFormat.CompressedPoint)
    else:
        encodings["raw"] = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return encodings
