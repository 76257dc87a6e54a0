"""Ed25519 signature checks (RFC 8032): through libsodium (PyNaCl) when it is installed, ``cryptography`` otherwise.

libsodium verifies a signature in about half the time of the OpenSSL that ``cryptography`` bundles, and EdDSA is what
Better Auth signs with by default, so it is the faster backend that is chosen. Which one runs must change nothing but
the speed, so both accept exactly the same signatures (tests/jose/test_ed25519_backends.py runs the Wycheproof
vectors and forged signatures through both):

- the signature is exactly 64 bytes and ``S`` is below the group order ``L`` (both backends check this);
- ``R`` is not a small-order point. libsodium refuses such an ``R`` before doing any arithmetic; OpenSSL accepts it
  whenever the verification equation holds, which the key's owner can arrange (``S = h·a``, with or without a
  small-order component in the public key). The ``cryptography`` path refuses it too, up front;
- the public key is canonical, not of small order and on the curve: ``jwk`` refuses other keys when they are loaded,
  before either backend sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SignatureCheck = Callable[[bytes, bytes], bool]
Backend = Literal["libsodium", "cryptography"]
# libsodium's verify call: (signature, message, message length, public key) -> 0 when the signature is valid.
RawVerify = Callable[[bytes, bytes, int, bytes], int]

_P = 2**255 - 19
# The y coordinates of the points of order 1, 2, 4 and 8, and the two non-canonical spellings (p, p + 1) of the first
# two: libsodium's list (ge25519_has_small_order), which ignores the sign bit, so both signs of each are refused here.
_SMALL_ORDER_Y = (
    0,
    1,
    _P - 1,
    0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826,
    0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7,
    _P,
    _P + 1,
)
SMALL_ORDER_ENCODINGS = frozenset((y | sign << 255).to_bytes(32, "little") for y in _SMALL_ORDER_Y for sign in (0, 1))

_VERIFY_DETACHED = (
    "int crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m, unsigned long long mlen, "
    "const unsigned char *pk);"
)


def libsodium_calls() -> dict[str, RawVerify]:
    """The ways to reach PyNaCl's libsodium, cheapest first; empty when PyNaCl is not installed.

    PyNaCl's own bindings declare no detached verify, only ``crypto_sign_open`` (which wants ``signature || message``
    copied into one buffer and an output buffer as large). Its extension module exports libsodium's
    ``crypto_sign_verify_detached`` on Linux and macOS, so that symbol is bound directly (cffi, ABI mode): 0.4 µs
    less per call, measured. Where the symbol is not exported (e.g. a Windows build), ``crypto_sign_open`` remains.
    Both end in the same libsodium function, with the same checks.
    """
    try:
        import nacl._sodium as sodium  # type: ignore[import-not-found,unused-ignore]  # PyNaCl's compiled module
        import nacl.bindings  # noqa: F401  (its import runs sodium_init(), which libsodium needs first)
    except ImportError:
        return {}
    ffi: Any = sodium.ffi
    lib: Any = sodium.lib
    sign_open = lib.crypto_sign_open

    def via_sign_open(signature: bytes, message: bytes, length: int, public_key: bytes) -> int:
        signed = signature + message
        size = length + 64
        status: int = sign_open(
            ffi.new("unsigned char[]", size), ffi.new("unsigned long long *"), signed, size, public_key
        )
        return status

    calls: dict[str, RawVerify] = {}
    try:
        import cffi  # type: ignore[import-untyped,unused-ignore]

        detached_ffi = cffi.FFI()
        detached_ffi.cdef(_VERIFY_DETACHED)
        # The handle keeps the module mapped; the function object holds a reference to it.
        calls["crypto_sign_verify_detached"] = detached_ffi.dlopen(sodium.__file__).crypto_sign_verify_detached
    except (ImportError, OSError, AttributeError, TypeError):
        pass
    calls["crypto_sign_open"] = via_sign_open
    return calls


_LIBSODIUM = next(iter(libsodium_calls().values()), None)
BACKENDS: tuple[Backend, ...] = ("libsodium", "cryptography") if _LIBSODIUM is not None else ("cryptography",)
DEFAULT_BACKEND: Backend = BACKENDS[0]


def check(public_key: bytes, backend: Backend | None = None) -> SignatureCheck:
    """A signature check bound to one validated 32-byte public key, on ``backend`` (default: the fastest installed)."""
    backend = backend or DEFAULT_BACKEND
    if backend == "libsodium":
        if _LIBSODIUM is None:
            raise ValueError("the libsodium backend needs PyNaCl")
        return libsodium_check(public_key, _LIBSODIUM)
    return cryptography_check(public_key)


def libsodium_check(public_key: bytes, verify: RawVerify) -> SignatureCheck:
    public_key = bytes(public_key)

    def check(signing_input: bytes, signature: bytes) -> bool:
        # The length test is also memory safety: libsodium reads 64 bytes from the signature pointer.
        return len(signature) == 64 and verify(signature, signing_input, len(signing_input), public_key) == 0

    return check


def cryptography_check(public_key: bytes) -> SignatureCheck:
    verify = Ed25519PublicKey.from_public_bytes(public_key).verify
    small_order = SMALL_ORDER_ENCODINGS

    def check(signing_input: bytes, signature: bytes) -> bool:
        if len(signature) != 64 or signature[:32] in small_order:
            return False
        try:
            verify(signature, signing_input)
        except InvalidSignature:
            return False
        return True

    return check
