"""libsodium (PyNaCl) and ``cryptography`` accept exactly the same Ed25519 signatures: only speed depends on the backend.

Three implementations are compared: the ``cryptography`` check, and the libsodium check through each way of calling it
(``crypto_sign_verify_detached`` bound directly, PyNaCl's ``crypto_sign_open``). They run over

* every Wycheproof Ed25519 vector (tests/vectors/wycheproof), keys loaded as a JWKS member would be;
* signatures built here that OpenSSL alone accepts and libsodium refuses: a small-order ``R`` with ``S = h·a``, under an
  ordinary key and under one with a small-order component (only the key's owner can make them). Without the
  ``cryptography`` path's own check for that ``R`` the backends would disagree on these; the tests show OpenSSL's raw
  answer too, so the reason stays visible;
* signatures under mixed-order public keys (which both backends accept when the cofactorless equation holds), ``S``
  not reduced, and Hypothesis' mutations of genuine signatures;
* the forgery suite's EdDSA tests, run again with the ``cryptography`` backend forced (``tests/forgery/conftest.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from betterauth_jwt import InvalidSignatureError, StaticJWKS, Verifier
from betterauth_jwt._jose import ed25519
from betterauth_jwt._jose.jwk import KeyRejected, load_public_jwk
from betterauth_jwt.testing import TokenFactory, b64url

ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).parent.parent / "vectors" / "wycheproof" / "ed25519_test.json"

pytestmark = pytest.mark.skipif("libsodium" not in ed25519.BACKENDS, reason="PyNaCl is not installed")

Check = Callable[[bytes, bytes], bool]


def checks_for(public_key: bytes) -> dict[str, Check]:
    """Every implementation, bound to one public key."""
    out = {"cryptography": ed25519.check(public_key, "cryptography")}
    for name, call in ed25519.libsodium_calls().items():
        out[f"libsodium ({name})"] = ed25519.libsodium_check(public_key, call)
    return out


def test_both_ways_of_calling_libsodium_are_available_here() -> None:
    assert set(ed25519.libsodium_calls()) == {"crypto_sign_verify_detached", "crypto_sign_open"}
    assert ed25519.DEFAULT_BACKEND == "libsodium"


# -- Wycheproof ---------------------------------------------------------------------------------------------------------


def test_every_wycheproof_vector_gets_the_same_answer_from_every_backend() -> None:
    data = json.loads(VECTORS.read_text())
    answers: dict[str, dict[int, bool]] = {}
    expected: dict[int, bool] = {}
    for group in data["testGroups"]:
        load_public_jwk(group["publicKeyJwk"])  # every key of this file passes the load-time checks
        checks = checks_for(bytes.fromhex(group["publicKey"]["pk"]))
        for test in group["tests"]:
            expected[test["tcId"]] = test["result"] == "valid"
            for name, check in checks.items():
                answers.setdefault(name, {})[test["tcId"]] = check(
                    bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
                )
    assert len(expected) == data["numberOfTests"] == 151
    assert len(answers) == 3
    for name, got in answers.items():
        assert got == expected, name


# -- Ed25519 arithmetic, just enough to build the signatures OpenSSL and libsodium would disagree on ---------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int]
IDENTITY: Point = (0, 1)


def add(a: Point, b: Point) -> Point:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P


def mul(k: int, point: Point) -> Point:
    result = IDENTITY
    while k:
        if k & 1:
            result = add(result, point)
        point, k = add(point, point), k >> 1
    return result


def encode(point: Point) -> bytes:
    x, y = point
    return (y | (x & 1) << 255).to_bytes(32, "little")


def decode(data: bytes) -> Point:
    y = int.from_bytes(data, "little") & ((1 << 255) - 1)
    u = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    x = pow(u, (P + 3) // 8, P)
    if x * x % P != u:
        x = x * SQRT_M1 % P
    assert x * x % P == u
    if x & 1 != data[31] >> 7:
        x = P - x
    return x, y


B = decode((4 * pow(5, -1, P) % P).to_bytes(32, "little"))
T8 = decode(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"))  # a point of order 8


def challenge(r: bytes, a: bytes, message: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r + a + message).digest(), "little") % L


def openssl_alone(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """``cryptography``'s verify without this package's small-order ``R`` check."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def test_the_arithmetic_is_right() -> None:
    assert mul(L, B) == IDENTITY
    assert mul(8, T8) == IDENTITY
    assert mul(4, T8) != IDENTITY
    seed = bytes(range(32))
    a = _scalar(seed)
    assert encode(mul(a, B)) == Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert {encode(mul(j, T8)) for j in range(8)} <= ed25519.SMALL_ORDER_ENCODINGS


def _scalar(seed: bytes) -> int:
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248
    h[31] = (h[31] & 127) | 64
    return int.from_bytes(h, "little")


@cache
def mixed_order_key() -> tuple[int, bytes]:
    """(a, A) with A = [a]B + T8: canonical, on the curve, not of small order, so it passes the load-time checks."""
    a = _scalar(b"mixed-order".ljust(32, b"\0")) % L
    public = encode(add(mul(a, B), T8))
    load_public_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url(public)})
    return a, public


def small_order_r_signature(a: int, public: bytes, torsion: Point) -> tuple[bytes, bytes]:
    """(message, signature) with R of small order and S = h·a: valid for OpenSSL when [S]B - [h]A = R, i.e. when
    R = -[h]T for the key's torsion component T (the identity for an ordinary key)."""
    for counter in range(1000):
        message = b"message %d" % counter
        for j in range(8):
            r = mul(j, T8)
            h = challenge(encode(r), public, message)
            if add(r, mul(h, torsion)) == IDENTITY:
                return message, encode(r) + (h * a % L).to_bytes(32, "little")
    raise AssertionError("no such signature found")


def assert_all_refuse_but_openssl_accepts(public: bytes, message: bytes, signature: bytes) -> None:
    assert openssl_alone(public, message, signature)  # why the cryptography path checks R itself
    assert {name: check(message, signature) for name, check in checks_for(public).items()} == dict.fromkeys(
        checks_for(public), False
    )


def test_a_small_order_r_from_the_key_owner_is_refused_by_every_backend() -> None:
    """R = identity, S = h·a: the owner of an ordinary key can make this; OpenSSL accepts it, libsodium does not."""
    seed = b"owner".ljust(32, b"\0")
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    message, signature = small_order_r_signature(_scalar(seed) % L, public, IDENTITY)
    assert signature[:32] == encode(IDENTITY)
    assert_all_refuse_but_openssl_accepts(public, message, signature)


def test_a_small_order_r_under_a_mixed_order_key_is_refused_by_every_backend() -> None:
    a, public = mixed_order_key()
    message, signature = small_order_r_signature(a, public, T8)
    assert_all_refuse_but_openssl_accepts(public, message, signature)


def test_mixed_order_keys_verify_the_same_cofactorless_signatures_on_every_backend() -> None:
    """S = r + h·a, R = [r]B - [h]T: the cofactorless equation holds, R has large order: all three accept it, and all
    three refuse the same signature for the ordinary key [a]B (for which the equation does not hold)."""
    a, public = mixed_order_key()
    r = 12345
    for counter in range(1000):
        message = b"mixed %d" % counter
        for j in range(1, 8):
            big_r = add(mul(r, B), mul(j, T8))
            h = challenge(encode(big_r), public, message)
            if add(mul(j, T8), mul(h, T8)) == IDENTITY:
                signature = encode(big_r) + ((r + h * a) % L).to_bytes(32, "little")
                results = {name: check(message, signature) for name, check in checks_for(public).items()}
                assert results == dict.fromkeys(results, True)
                prime_order = encode(mul(a, B))
                others = {name: check(message, signature) for name, check in checks_for(prime_order).items()}
                assert others == dict.fromkeys(others, False)
                return
    raise AssertionError("no such signature found")


# -- mutations of genuine signatures ------------------------------------------------------------------------------------

_OWNER = Ed25519PrivateKey.from_private_bytes(b"genuine".ljust(32, b"\0"))
_PUBLIC = _OWNER.public_key().public_bytes_raw()
_CHECKS = checks_for(_PUBLIC)


def _all_answers(message: bytes, signature: bytes) -> set[bool]:
    return {check(message, signature) for check in _CHECKS.values()}


@given(message=st.binary(max_size=64), flips=st.lists(st.tuples(st.integers(0, 63), st.integers(1, 255)), max_size=3))
def test_mutated_signatures_get_one_answer(message: bytes, flips: list[tuple[int, int]]) -> None:
    genuine = _OWNER.sign(message)
    signature = bytearray(genuine)
    for position, mask in flips:
        signature[position] ^= mask
    assert _all_answers(message, bytes(signature)) == {bytes(signature) == genuine}


@given(message=st.binary(max_size=64), multiple=st.integers(1, 15))
def test_s_plus_a_multiple_of_l_is_refused_by_every_backend(message: bytes, multiple: int) -> None:
    """Malleability (Wycheproof SignatureMalleability): S and S + kL satisfy the same equation; only S < L counts."""
    signature = _OWNER.sign(message)
    s = int.from_bytes(signature[32:], "little") + multiple * L
    if s < 2**256:
        assert _all_answers(message, signature[:32] + s.to_bytes(32, "little")) == {False}
    assert _all_answers(message, signature) == {True}


@given(
    message=st.binary(max_size=64),
    r=st.sampled_from(sorted(ed25519.SMALL_ORDER_ENCODINGS)),
    s=st.binary(min_size=32, max_size=32),
)
def test_any_small_order_r_is_refused_by_every_backend(message: bytes, r: bytes, s: bytes) -> None:
    assert _all_answers(message, r + s) == {False}


@pytest.mark.parametrize("length", [0, 1, 32, 63, 65, 128])
def test_signatures_of_any_other_length_are_refused_by_every_backend(length: int) -> None:
    signature = (_OWNER.sign(b"m") * 3)[:length]
    assert _all_answers(b"m", signature) == {False}


# -- the backend through the whole pipeline -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ed25519.BACKENDS)
def test_a_verifier_built_on_either_backend_gives_the_same_answers(
    backend: ed25519.Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ed25519, "DEFAULT_BACKEND", backend)
    factory = TokenFactory("EdDSA", issuer="https://app.example.com", audience="https://app.example.com")
    keys = StaticJWKS(factory.jwks)
    check = keys.get_keys(factory.kid, "EdDSA")[0].checks["EdDSA"]
    assert check.__qualname__.startswith(f"{backend}_check.")
    verifier = Verifier(keys, issuer="https://app.example.com", audience="https://app.example.com")
    assert verifier.verify(factory.access_token("user_1")).user_id == "user_1"
    header, payload, _ = factory.access_token("user_1").split(".")
    with pytest.raises(InvalidSignatureError):
        verifier.verify(f"{header}.{payload}.{b64url(encode(IDENTITY) + bytes(32))}")


def test_the_forgery_suite_passes_its_eddsa_cases_on_the_cryptography_backend() -> None:
    env = {**os.environ, "BETTERAUTH_JWT_TEST_ED25519_BACKEND": "cryptography", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/forgery", "-p", "no:cacheprovider", "-k", "EdDSA"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "ed25519 backend: cryptography" in done.stdout
    assert " passed" in done.stdout


def test_a_rejected_key_is_rejected_before_any_backend_sees_it() -> None:
    small_order = encode(mul(2, T8))
    with pytest.raises(KeyRejected, match="small-order"):
        load_public_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url(small_order)})


def test_without_pynacl_the_package_imports_and_uses_cryptography() -> None:
    code = (
        "import sys; sys.modules['nacl'] = None\n"  # makes `import nacl...` raise ImportError
        "from betterauth_jwt import StaticJWKS, Verifier\n"
        "from betterauth_jwt._jose import ed25519\n"
        "from betterauth_jwt.testing import TokenFactory\n"
        "assert ed25519.BACKENDS == ('cryptography',), ed25519.BACKENDS\n"
        "f = TokenFactory('EdDSA', issuer='https://a.example', audience='https://a.example')\n"
        "v = Verifier(StaticJWKS(f.jwks), issuer='https://a.example', audience='https://a.example')\n"
        "assert v.verify(f.access_token('u')).user_id == 'u'\n"
        "try:\n    ed25519.check(bytes(32), 'libsodium')\nexcept ValueError:\n    print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "ok", done.stderr
