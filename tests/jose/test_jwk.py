"""JWK validation at load time (``_jwk``): every refusal rule, and the Ed25519 small-order list checked by arithmetic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from betterauth_jwt import InvalidTokenError, StaticJWKS, UnknownKeyError, Verifier
from betterauth_jwt._jose import algorithms as algs
from betterauth_jwt._jose.jwk import (
    _ED25519_P,
    _ED25519_SMALL_ORDER_Y,
    MAX_RSA_BITS,
    MIN_RSA_BITS,
    KeyRejected,
    KeySet,
    load_public_jwk,
)
from betterauth_jwt.testing import b64url, generate_private_key, public_jwk, sign_compact

VECTORS = Path(__file__).parent.parent / "vectors" / "wycheproof"


def _refused(jwk: object, reason: str) -> None:
    with pytest.raises(KeyRejected, match=reason):
        load_public_jwk(jwk)


@pytest.fixture(scope="module")
def rsa_jwk() -> dict[str, str]:
    return public_jwk(generate_private_key("RS256"), "RS256", "rsa")


@pytest.fixture(scope="module")
def ec_jwk() -> dict[str, str]:
    return public_jwk(generate_private_key("ES256"), "ES256", "ec")


@pytest.fixture(scope="module")
def okp_jwk() -> dict[str, str]:
    return public_jwk(generate_private_key("EdDSA"), "EdDSA", "okp")


# -- what Better Auth publishes loads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "ES384", "ES512", "RS256", "PS256", "RS512", "PS384"])
def test_public_keys_as_better_auth_publishes_them_load(alg: str) -> None:
    key = load_public_jwk(public_jwk(generate_private_key(alg), alg, "k"))
    assert key.algorithms == frozenset({alg})
    assert key.kid == "k"


def test_without_alg_the_key_type_decides(rsa_jwk: dict[str, str], ec_jwk: dict[str, str]) -> None:
    assert load_public_jwk({k: v for k, v in rsa_jwk.items() if k != "alg"}).algorithms == algs.RSA_ALGORITHMS
    assert load_public_jwk({k: v for k, v in ec_jwk.items() if k != "alg"}).algorithms == {"ES256"}


def test_a_key_verifies_only_its_own_algorithm() -> None:
    private = generate_private_key("ES256")
    key = load_public_jwk(public_jwk(private, "ES256", "k"))
    token = sign_compact({"alg": "ES256"}, b"{}", private)
    signing_input, signature = token.rsplit(".", 1)
    from betterauth_jwt._jose.token import b64url_decode

    assert key.verify("ES256", signing_input.encode(), b64url_decode(signature))
    for other in ("ES384", "HS256", "RS256", "none", "EdDSA"):
        assert not key.verify(other, signing_input.encode(), b64url_decode(signature))


# -- generic rules ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("member", [None, [], "key", 1])
def test_a_member_must_be_an_object(member: object) -> None:
    _refused(member, "not a JSON object")


def test_symmetric_keys_never_belong_in_a_key_set() -> None:
    _refused({"kty": "oct", "k": b64url(b"k" * 32), "alg": "HS256"}, "symmetric")


@pytest.mark.parametrize("kty", [None, "", "rsa", "ec", "OKP2", 1, "oct "])
def test_unknown_key_types_are_refused(kty: object) -> None:
    _refused({"kty": kty}, "kty")


@pytest.mark.parametrize(
    ("fixture", "members"),
    [
        ("rsa_jwk", ["d", "p", "q", "dp", "dq", "qi", "oth"]),
        ("ec_jwk", ["d"]),
        ("okp_jwk", ["d"]),
    ],
)
def test_private_key_material_is_refused(request: pytest.FixtureRequest, fixture: str, members: list[str]) -> None:
    jwk = request.getfixturevalue(fixture)
    for member in members:
        _refused({**jwk, member: "AQAB"}, "private key material")


@pytest.mark.parametrize("kid", [1, "", ["k"], True])
def test_kid_must_be_a_non_empty_string(okp_jwk: dict[str, str], kid: object) -> None:
    _refused({**okp_jwk, "kid": kid}, "kid")


def test_a_missing_kid_is_allowed(okp_jwk: dict[str, str]) -> None:
    assert load_public_jwk({k: v for k, v in okp_jwk.items() if k != "kid"}).kid is None


@pytest.mark.parametrize("use", ["enc", "", "SIG", 1])
def test_use_other_than_sig_is_refused(ec_jwk: dict[str, str], use: object) -> None:
    _refused({**ec_jwk, "use": use}, "'use'")


@pytest.mark.parametrize("ops", [["sign"], ["encrypt", "decrypt"], [], ["sign, verify"], "verify", {"verify": 1}])
def test_key_ops_without_verify_are_refused(ec_jwk: dict[str, str], ops: object) -> None:
    _refused({**ec_jwk, "key_ops": ops}, "key_ops")


def test_use_sig_and_key_ops_verify_are_fine(ec_jwk: dict[str, str]) -> None:
    assert load_public_jwk({**ec_jwk, "use": "sig", "key_ops": ["verify"]}).algorithms == {"ES256"}
    assert load_public_jwk({**ec_jwk, "key_ops": ["sign", "verify"]}).algorithms == {"ES256"}


@pytest.mark.parametrize("member", ["x", "y"])
@pytest.mark.parametrize("value", [None, "", 1, "AQAB=", "AQ+B", "not base64!"])
def test_key_members_must_be_canonical_base64url(ec_jwk: dict[str, str], member: str, value: object) -> None:
    _refused({**ec_jwk, member: value}, f"'{member}'")


# -- RSA ----------------------------------------------------------------------------------------------------------------


def _rsa_with(n: int, e: int = 65537, **extra: Any) -> dict[str, Any]:
    def enc(v: int) -> str:
        return b64url(v.to_bytes((v.bit_length() + 7) // 8, "big"))

    return {"kty": "RSA", "n": enc(n), "e": enc(e), "alg": "RS256", **extra}


def test_rsa_under_2048_bits_is_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_numbers()
    _refused(_rsa_with(small.n), "1024 bits")
    assert MIN_RSA_BITS == 2048


def test_rsa_over_the_maximum_is_refused() -> None:
    huge = (1 << MAX_RSA_BITS) | 1  # one bit too long; not a real modulus, refused on its size alone
    _refused(_rsa_with(huge), "bits")


@pytest.mark.parametrize("e", [1, 2, 65536, 0, (1 << 65) + 1])
def test_rsa_bad_exponents_are_refused(rsa_jwk: dict[str, str], e: int) -> None:
    from betterauth_jwt._jose.token import b64url_decode

    n = int.from_bytes(b64url_decode(rsa_jwk["n"]), "big")
    with pytest.raises(KeyRejected):
        load_public_jwk(_rsa_with(n, e))


def test_rsa_even_modulus_is_refused(rsa_jwk: dict[str, str]) -> None:
    from betterauth_jwt._jose.token import b64url_decode

    n = int.from_bytes(b64url_decode(rsa_jwk["n"]), "big")
    _refused(_rsa_with(n ^ 1), "not valid")


def test_rsa_roca_modulus_is_refused() -> None:
    # Wycheproof json_web_key_test.json tcId 7 ships a key made by the vulnerable Infineon generator.
    vectors = json.loads((VECTORS / "json_web_key_test.json").read_text())
    group = next(g for g in vectors["testGroups"] if g["comment"] == "jws_rsa_roca_key")
    _refused(group["public"]["keys"][0], "ROCA")


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "HS256", "RS1", "none"])
def test_rsa_with_a_foreign_alg_is_refused(rsa_jwk: dict[str, str], alg: str) -> None:
    _refused({**rsa_jwk, "alg": alg}, "'alg'")


# -- EC -------------------------------------------------------------------------------------------------------------


def test_ec_point_not_on_the_curve_is_refused(ec_jwk: dict[str, str]) -> None:
    from betterauth_jwt._jose.token import b64url_decode

    y = bytearray(b64url_decode(ec_jwk["y"]))
    y[-1] ^= 1
    _refused({**ec_jwk, "y": b64url(bytes(y))}, "not on the curve")
    _refused({**ec_jwk, "x": b64url(bytes(32)), "y": b64url(bytes(32))}, "not on the curve")  # "infinity"


@pytest.mark.parametrize(
    ("crv", "alg"), [("P-256", "ES384"), ("P-384", "ES256"), ("P-521", "ES256"), ("P-256", "ES521")]
)
def test_wrong_curve_for_the_alg_is_refused(crv: str, alg: str) -> None:
    curve = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}[crv]
    jwk = public_jwk(ec.generate_private_key(curve), alg, "k")
    _refused(jwk, "'alg'")


def test_ec_coordinates_must_have_the_curve_size(ec_jwk: dict[str, str]) -> None:
    _refused({**ec_jwk, "crv": "P-384", "alg": "ES384"}, "48 bytes")
    _refused({**ec_jwk, "x": b64url(b"\x01" * 31)}, "32 bytes")


@pytest.mark.parametrize("crv", ["secp256k1", "P-192", None, "p-256"])
def test_unsupported_curves_are_refused(ec_jwk: dict[str, str], crv: object) -> None:
    _refused({**ec_jwk, "crv": crv}, "curve")


# -- Ed25519 ------------------------------------------------------------------------------------------------------------
#
# Edwards arithmetic on -x² + y² = 1 + d·x²·y² (RFC 8032 5.1), written out here so that the constant list in _jwk
# is checked against mathematics rather than against a copy of itself.

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
ORDER = 2**252 + 27742317777372353535851937790883648493  # L, the prime order of the base point
IDENTITY = (0, 1)


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P


def _mul(k: int, point: tuple[int, int]) -> tuple[int, int]:
    result = IDENTITY
    while k:
        if k & 1:
            result = _add(result, point)
        point, k = _add(point, point), k >> 1
    return result


def _x_for(y: int) -> int | None:
    """A square root x of (y² - 1) / (d·y² + 1), or None when y is not on the curve (RFC 8032 5.1.3)."""
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == u:
        return x
    if v * x * x % P == -u % P:
        return x * pow(2, (P - 1) // 4, P) % P
    return None


def _on_curve(point: tuple[int, int]) -> bool:
    x, y = point
    return (-x * x + y * y - 1 - D * x * x * y * y) % P == 0


def _encode(y: int, sign: int = 0) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


def _okp(raw: bytes, kid: str = "k") -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "alg": "EdDSA", "kid": kid}


def _order(point: tuple[int, int]) -> int:
    for order in (1, 2, 4, 8):
        if _mul(order, point) == IDENTITY:
            return order
    return 0


def test_the_small_order_list_is_exactly_the_eight_torsion_points() -> None:
    assert P == _ED25519_P
    # Every listed y is on the curve, and both of its points have order 1, 2, 4 or 8.
    for y in _ED25519_SMALL_ORDER_Y:
        x = _x_for(y)
        assert x is not None
        for point in ((x, y), (-x % P, y)):
            assert _on_curve(point)
            assert _order(point) in (1, 2, 4, 8)
    # And nothing is missing: [L]Q lies in the torsion subgroup for any point Q; find one of order 8 and walk it.
    y = 2
    while True:
        x = _x_for(y)
        if x is not None and _order(torsion := _mul(ORDER, (x, y))) == 8:
            break
        y += 1
    torsion_ys = {_mul(k, torsion)[1] for k in range(8)}
    assert torsion_ys == set(_ED25519_SMALL_ORDER_Y)


@pytest.mark.parametrize("y", sorted(_ED25519_SMALL_ORDER_Y))
@pytest.mark.parametrize("sign", [0, 1])
def test_small_order_ed25519_keys_are_refused(y: int, sign: int) -> None:
    _refused(_okp(_encode(y, sign)), "small-order")


@pytest.mark.parametrize("y", range(P, 2**255))
def test_non_canonical_ed25519_encodings_are_refused(y: int) -> None:
    for sign in (0, 1):
        _refused(_okp(_encode(y, sign)), "not canonically encoded")


def test_ed25519_y_without_a_curve_point_is_refused() -> None:
    y = next(y for y in range(2, 100) if _x_for(y) is None)
    _refused(_okp(_encode(y)), "not a point on the curve")


@pytest.mark.parametrize("crv", ["Ed448", "X25519", None])
def test_other_okp_curves_are_refused(okp_jwk: dict[str, str], crv: object) -> None:
    _refused({**okp_jwk, "crv": crv}, "Ed25519")


@pytest.mark.parametrize("size", [31, 33, 57])
def test_ed25519_keys_must_be_32_bytes(size: int) -> None:
    _refused(_okp(b"\x09" * size), "32 bytes")


def test_a_signature_forged_for_the_identity_key_never_verifies() -> None:
    """With A = identity, R = identity and S = 0, R == [S]B - [k]A for every message: cofactorless verifiers (OpenSSL
    among them) accept it. The key can never be loaded, so no token can be checked against it."""
    identity_key = _encode(1)
    forged_signature = _encode(1) + bytes(32)
    header = {"alg": "EdDSA", "kid": "evil"}
    good = Ed25519PrivateKey.generate()
    jwks = {"keys": [_okp(identity_key, "evil"), public_jwk(good, "EdDSA", "good")]}
    verifier = Verifier(StaticJWKS(jwks), issuer="https://a.example", audience="https://a.example")
    assert sorted(StaticJWKS(jwks).key_set.by_kid) == ["good"]
    payload = json.dumps({"sub": "admin", "iss": "https://a.example", "aud": "https://a.example"}).encode()
    token = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}.{b64url(forged_signature)}"
    with pytest.raises(UnknownKeyError):
        verifier.verify(token)
    # Sent without a kid, the only EdDSA key left is the honest one, which rejects the forgery.
    no_kid = b64url(b'{"alg":"EdDSA"}')
    token = f"{no_kid}.{b64url(payload)}.{b64url(forged_signature)}"
    with pytest.raises(InvalidTokenError) as caught:
        verifier.verify(token)
    assert caught.value.code == "invalid_signature"
    for y in _ED25519_SMALL_ORDER_Y:  # and every other small-order key with the same kind of forgery
        with pytest.raises(KeyRejected):
            load_public_jwk(_okp(_encode(y)))


# -- KeySet ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("document", [None, [], {"keys": {}}, {"keys": "x"}, {"key": []}])
def test_a_key_set_is_an_object_with_a_keys_list(document: object) -> None:
    with pytest.raises(KeyRejected, match="'keys' list"):
        KeySet.from_jwks(document)


def test_key_set_skips_bad_members_and_indexes_the_rest(okp_jwk: dict[str, str], ec_jwk: dict[str, str]) -> None:
    no_kid = {k: v for k, v in public_jwk(generate_private_key("ES256"), "ES256", "x").items() if k != "kid"}
    key_set = KeySet.from_jwks({"keys": [okp_jwk, {"kty": "oct", "kid": "sym"}, "junk", ec_jwk, no_kid]})
    assert sorted(key_set.by_kid) == ["ec", "okp"]
    assert len(key_set.without_kid) == 1
    assert len(key_set.keys) == 3
    assert [name for name, _ in key_set.rejected] == ["sym", "#2"]


def test_duplicate_kids_are_both_refused(okp_jwk: dict[str, str]) -> None:
    twin = public_jwk(generate_private_key("EdDSA"), "EdDSA", okp_jwk["kid"])
    key_set = KeySet.from_jwks({"keys": [okp_jwk, twin]})
    assert key_set.by_kid == {}
    assert ("okp", "several members share this 'kid'") in key_set.rejected
