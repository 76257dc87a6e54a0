"""Public JWKs (RFC 7517/7518) turned into :class:`VerificationKey` objects, with every check done once, at load time.

A JWKS member that fails a check is refused with a reason; the caller skips and logs it so that one bad member does not
break the whole set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .._errors import MalformedTokenError
from . import algorithms as algs
from .token import b64url_decode

MIN_RSA_BITS = 2048
MAX_RSA_BITS = 16384

_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
    "P-521": (ec.SECP521R1(), 66),
}
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")

# Ed25519: p = 2**255 - 19. Points of order 1, 2, 4 and 8 have these y coordinates; a public key with one of them (with
# either sign bit) lets anyone forge signatures that some verifiers accept, so such keys are refused outright.
_ED25519_P = 2**255 - 19
_ED25519_SMALL_ORDER_Y = frozenset(
    {
        0,
        1,
        _ED25519_P - 1,
        0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826,
        0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7,
    }
)
_ED25519_D = -121665 * pow(121666, -1, _ED25519_P) % _ED25519_P


def _ed25519_has_point(y: int) -> bool:
    """Whether some x puts (x, y) on the curve -x² + y² = 1 + d·x²·y² (RFC 8032 5.1.3): x² = (y² - 1) / (d·y² + 1)
    must be a square modulo p. OpenSSL loads any 32 bytes and only fails later, at verification."""
    x2 = (y * y - 1) * pow(_ED25519_D * y * y + 1, -1, _ED25519_P) % _ED25519_P
    return pow(x2, (_ED25519_P - 1) // 2, _ED25519_P) in (0, 1)  # Euler's criterion


# ROCA (CVE-2017-15361): moduli from the vulnerable Infineon generator are congruent, modulo each small prime, to a
# power of 65537. Testing these primes detects them; a random modulus passes all of them with negligible probability.
_ROCA_PRIMES = (
    3,
    5,
    7,
    11,
    13,
    17,
    19,
    23,
    29,
    31,
    37,
    41,
    43,
    47,
    53,
    59,
    61,
    67,
    71,
    73,
    79,
    83,
    89,
    97,
    101,
    103,
    107,
    109,
    113,
    127,
    131,
    137,
    139,
    149,
    151,
    157,
    163,
    167,
)


def _powers_of_65537(p: int) -> frozenset[int]:
    seen, value = {1}, 65537 % p
    while value not in seen:
        seen.add(value)
        value = value * 65537 % p
    return frozenset(seen)


_ROCA_RESIDUES = tuple((p, _powers_of_65537(p)) for p in _ROCA_PRIMES)


class KeyRejected(ValueError):
    """A JWK that must not be used; ``str()`` is the reason, safe to log."""


@dataclass(frozen=True, slots=True, eq=False)
class VerificationKey:
    """One public (or shared) key and the algorithms it may verify, each bound to a ready-made signature check.

    The algorithm a token may use comes from here (JWK ``alg``, or the key type when absent), never from the token alone.
    """

    kid: str | None
    kty: str
    checks: Mapping[str, algs.SignatureCheck] = field(repr=False)

    @property
    def algorithms(self) -> frozenset[str]:
        return frozenset(self.checks)

    def verify(self, alg: str, signing_input: bytes, signature: bytes) -> bool:
        check = self.checks.get(alg)
        return check is not None and check(signing_input, signature)


def _b64_member(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise KeyRejected(f"member {name!r} is missing or not a string")
    try:
        return b64url_decode(value)
    except MalformedTokenError:
        raise KeyRejected(f"member {name!r} is not canonical base64url") from None


def _allowed_algorithms(jwk: Mapping[str, Any], possible: frozenset[str]) -> frozenset[str]:
    alg = jwk.get("alg")
    if alg is None:
        return possible
    if not isinstance(alg, str) or alg not in possible:
        raise KeyRejected("its 'alg' does not fit its key type or curve")
    return frozenset({alg})


def _check_usage(jwk: Mapping[str, Any]) -> None:
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise KeyRejected("its 'use' is not 'sig'")
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise KeyRejected("its 'key_ops' do not allow 'verify'")


def _rsa_key(jwk: Mapping[str, Any]) -> tuple[frozenset[str], dict[str, algs.SignatureCheck]]:
    allowed = _allowed_algorithms(jwk, algs.RSA_ALGORITHMS)
    n = int.from_bytes(_b64_member(jwk, "n"), "big")
    e = int.from_bytes(_b64_member(jwk, "e"), "big")
    if not MIN_RSA_BITS <= n.bit_length() <= MAX_RSA_BITS:
        raise KeyRejected(f"RSA modulus is {n.bit_length()} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} are accepted")
    if e < 3 or e % 2 == 0 or e.bit_length() > 64 or n % 2 == 0:
        raise KeyRejected("RSA public exponent or modulus is not valid")
    if all(n % p in residues for p, residues in _ROCA_RESIDUES):
        raise KeyRejected("RSA modulus has the ROCA fingerprint (CVE-2017-15361)")
    try:
        key = rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError:
        raise KeyRejected("RSA public key is not valid") from None
    return allowed, {alg: algs.rsa_check(key, alg) for alg in allowed}


def _ec_key(jwk: Mapping[str, Any]) -> tuple[frozenset[str], dict[str, algs.SignatureCheck]]:
    crv = jwk.get("crv")
    if not isinstance(crv, str) or crv not in _CURVES:
        raise KeyRejected("EC curve is not P-256, P-384 or P-521")
    curve, size = _CURVES[crv]
    allowed = _allowed_algorithms(jwk, frozenset({algs.EC_ALGORITHM_BY_CURVE[crv]}))
    x, y = _b64_member(jwk, "x"), _b64_member(jwk, "y")
    if len(x) != size or len(y) != size:
        raise KeyRejected(f"EC coordinates for {crv} must be {size} bytes")
    try:  # raises for a point that is not on the curve (invalid-curve attacks)
        key = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve).public_key()
    except ValueError:
        raise KeyRejected("EC point is not on the curve") from None
    return allowed, {alg: algs.ec_check(key, alg) for alg in allowed}


def _okp_key(jwk: Mapping[str, Any]) -> tuple[frozenset[str], dict[str, algs.SignatureCheck]]:
    if jwk.get("crv") != "Ed25519":
        raise KeyRejected("OKP curve is not Ed25519")
    allowed = _allowed_algorithms(jwk, algs.OKP_ALGORITHMS)
    x = _b64_member(jwk, "x")
    if len(x) != 32:
        raise KeyRejected("Ed25519 public key must be 32 bytes")
    y = int.from_bytes(x, "little") & ((1 << 255) - 1)
    if y >= _ED25519_P:
        raise KeyRejected("Ed25519 public key is not canonically encoded")
    if y in _ED25519_SMALL_ORDER_Y:
        raise KeyRejected("Ed25519 public key is a small-order point")
    if not _ed25519_has_point(y):
        raise KeyRejected("Ed25519 public key is not a point on the curve")
    try:
        key = Ed25519PublicKey.from_public_bytes(x)
    except ValueError:
        raise KeyRejected("Ed25519 public key is not valid") from None
    return allowed, {"EdDSA": algs.ed25519_check(key)}


_LOADERS = {"RSA": _rsa_key, "EC": _ec_key, "OKP": _okp_key}


def load_public_jwk(jwk: object) -> VerificationKey:
    """Validate one JWKS member and return its key; raise :class:`KeyRejected` with the reason otherwise."""
    if not isinstance(jwk, Mapping):
        raise KeyRejected("a JWKS member is not a JSON object")
    kty = jwk.get("kty")
    if kty == "oct":
        raise KeyRejected("symmetric ('oct') keys never belong in a public key set")
    loader = _LOADERS.get(kty) if isinstance(kty, str) else None
    if loader is None:
        raise KeyRejected("its 'kty' is not RSA, EC or OKP")
    if any(name in jwk for name in _PRIVATE_MEMBERS):
        raise KeyRejected("it contains private key material; publish only public keys")
    kid = jwk.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise KeyRejected("its 'kid' is not a non-empty string")
    _check_usage(jwk)
    _, checks = loader(jwk)
    return VerificationKey(kid=kid, kty=str(kty), checks=checks)


def hmac_key(secret: bytes, algorithms: Iterable[str], kid: str | None = None) -> VerificationKey:
    """A shared-secret key; the caller has already judged the secret's strength."""
    return VerificationKey(kid=kid, kty="oct", checks={alg: algs.hmac_check(secret, alg) for alg in algorithms})


@dataclass(frozen=True, slots=True)
class KeySet:
    """Validated keys of one JWKS, indexed by ``kid``; ``rejected`` lists (kid or position, reason) of refused members."""

    by_kid: Mapping[str, VerificationKey]
    without_kid: Sequence[VerificationKey]
    rejected: Sequence[tuple[str, str]]

    @property
    def keys(self) -> tuple[VerificationKey, ...]:
        return (*self.by_kid.values(), *self.without_kid)

    @classmethod
    def from_jwks(cls, document: object) -> KeySet:
        if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
            raise KeyRejected("a JWKS is a JSON object with a 'keys' list")
        members: list[object] = document["keys"]
        loaded: list[VerificationKey] = []
        rejected: list[tuple[str, str]] = []
        for position, member in enumerate(members):
            label = member.get("kid") if isinstance(member, Mapping) else None
            name = label if isinstance(label, str) else f"#{position}"
            try:
                loaded.append(load_public_jwk(member))
            except KeyRejected as exc:
                rejected.append((name, str(exc)))
        by_kid: dict[str, VerificationKey] = {}
        duplicates: set[str] = set()
        for key in loaded:
            if key.kid is None:
                continue
            if key.kid in by_kid:
                duplicates.add(key.kid)
            by_kid[key.kid] = key
        # Two keys under one kid make the choice ambiguous: neither is used.
        for kid in duplicates:
            del by_kid[kid]
            rejected.append((kid, "several members share this 'kid'"))
        without_kid = [key for key in loaded if key.kid is None]
        return cls(by_kid=by_kid, without_kid=without_kid, rejected=rejected)
