"""What the fuzzer checks for one input; importable without atheris, so pytest replays seeds and past crashes through it.

The first byte chooses what the rest of the input is:

- ``0`` the token itself, bytes read as latin-1 (as ASGI servers decode headers);
- ``1`` the token, bytes read as UTF-8 with lone surrogates for invalid bytes (non-ASCII paths);
- ``2`` a header length byte, the header JSON, then the payload JSON: the harness signs them with the genuine keys, so
  the fuzzer reaches the claims policy and :class:`Identity` construction with arbitrary (even invalid) JSON;
- ``3`` a JWKS document, loaded as :class:`StaticJWKS` and then used to verify a token.

The oracle: verification either returns an identity for a token the claims policy accepts (checked against the
reference model in ``tests/forgery/_policy_model.py``) or raises :class:`InvalidTokenError`; a JWKS is either loaded or
refused with :class:`ConfigurationError`. Any other exception propagates, and the fuzzer reports it as a crash.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from betterauth_jwt import ConfigurationError, Identity, InvalidTokenError, StaticJWKS, TokenKind, Verifier
from betterauth_jwt.testing import TokenFactory, b64url, public_jwk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.forgery._policy_model import Policy, policy_violations

NOW = 1_760_000_000.0
ISSUER = "http://localhost:3000"
SECRET = b"fuzzing-secret-that-is-long-enough-for-hs256"
# Fixed keys: an input that crashes once crashes again when replayed.
EDDSA_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
EDDSA_KID = "fuzz-eddsa"


def _factories() -> tuple[TokenFactory, TokenFactory]:
    hs256 = TokenFactory("HS256", secret=SECRET, clock=lambda: NOW)
    eddsa = TokenFactory("EdDSA", clock=lambda: NOW)
    eddsa._keys = [(EDDSA_KID, EDDSA_KEY)]  # the factory's random key replaced by the fixed one
    return hs256, eddsa


HS256, EDDSA = _factories()
VERIFIERS = tuple(
    (issuer.alg, kind, issuer.verifier(kind, cache_size=64))
    for issuer in (HS256, EDDSA)
    for kind in (TokenKind.ACCESS, TokenKind.SESSION_COOKIE)
)
JWKS_PROBE = EDDSA.access_token()


def _lenient_json(segment: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        return None


def check_verdict(verifier: Verifier, kind: TokenKind, token: object) -> None:
    """Verify; an acceptance must be one the reference policy agrees with, a refusal an InvalidTokenError."""
    try:
        identity = verifier.verify(token)  # type: ignore[arg-type]
    except InvalidTokenError:
        return
    assert isinstance(identity, Identity)
    assert isinstance(token, str)
    header_segment, payload_segment, _ = token.split(".")
    header, claims = _lenient_json(header_segment), _lenient_json(payload_segment)
    assert isinstance(header, dict)
    assert isinstance(claims, dict)
    typ = header.get("typ")
    policy = Policy(kind, verifier.issuer, verifier.audiences, verifier.leeway)
    violations = policy_violations(policy, header["alg"], typ, claims, NOW)
    assert not violations, f"accepted a token the policy refuses: {sorted(violations)}"


def _verify_everywhere(token: object) -> None:
    for _, kind, verifier in VERIFIERS:
        check_verdict(verifier, kind, token)


def _signed(header: bytes, payload: bytes) -> list[str]:
    """The exact header and payload bytes, signed by each genuine key (sign_compact would re-serialise the JSON)."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    return [f"{signing_input}.{_signature(issuer, signing_input.encode())}" for issuer in (HS256, EDDSA)]


def _signature(issuer: TokenFactory, signing_input: bytes) -> str:
    key = issuer.private_key
    if isinstance(key, bytes):
        return b64url(hmac.digest(key, signing_input, "sha256"))
    assert isinstance(key, Ed25519PrivateKey)
    return b64url(key.sign(signing_input))


def fuzz_one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % 4, data[1:]
    if mode == 0:
        _verify_everywhere(rest.decode("latin-1"))
    elif mode == 1:
        _verify_everywhere(rest.decode("utf-8", "surrogateescape"))
    elif mode == 2:
        split = 1 + (rest[0] if rest else 0)
        header, payload = rest[1:split], rest[split:]
        for token in _signed(header, payload):
            _verify_everywhere(token)
    else:
        try:
            keys = StaticJWKS(rest)
        except ConfigurationError:
            return
        verifier = Verifier(keys, issuer=ISSUER, audience=ISSUER, clock=lambda: NOW)
        check_verdict(verifier, TokenKind.ACCESS, JWKS_PROBE)


def seed_inputs() -> dict[str, bytes]:
    """Valid and near-valid inputs for every mode, so the fuzzer starts from tokens that get far into the verifier."""
    seeds: dict[str, bytes] = {}
    for issuer in (HS256, EDDSA):
        name = issuer.alg.lower()
        seeds[f"text-{name}-access"] = b"\x00" + issuer.access_token().encode()
        seeds[f"text-{name}-cookie"] = b"\x00" + issuer.session_cookie().encode()
        seeds[f"utf8-{name}-access"] = b"\x01" + issuer.access_token(name="Ada \u00e9").encode()
        for kind, claims in (("access", issuer.access_claims()), ("cookie", issuer.session_cookie_claims())):
            header = json.dumps(issuer.header() if kind == "access" else _cookie_header(issuer)).encode()
            payload = json.dumps(claims, separators=(",", ":")).encode()
            seeds[f"signed-{name}-{kind}"] = b"\x02" + bytes([len(header)]) + header + payload
    seeds["jwks-eddsa"] = b"\x03" + json.dumps({"keys": [public_jwk(EDDSA_KEY, "EdDSA", EDDSA_KID)]}).encode()
    fixtures = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "betterauth"
    for path in sorted(fixtures.glob("*.json")):
        recorded = json.loads(path.read_text())
        for name, token in sorted(recorded.get("tokens", {}).items()):
            seeds[f"betterauth-{path.stem}-{name}"] = b"\x00" + token.encode()
        if "jwks" in recorded:
            seeds[f"betterauth-{path.stem}-jwks"] = b"\x03" + json.dumps(recorded["jwks"]).encode()
    return seeds


def _cookie_header(issuer: TokenFactory) -> dict[str, Any]:
    token = issuer.session_cookie()
    header: dict[str, Any] = _lenient_json(token.split(".")[0])
    return header
