"""HMAC-SHA-2 checks (RFC 2104) with the key's two padded blocks hashed once, when the key is loaded.

``hmac.digest(key, msg, "sha256")`` sets up OpenSSL's HMAC from the key on every call, which is most of its cost for a
token-sized message; copying two hash states that already absorbed ``key ^ ipad`` and ``key ^ opad`` is the same
computation without that setup: measured here, 1.3 µs instead of 3.5 µs per HS256 token. Same bytes out
(tests/jose/test_hmac_pads.py compares them with ``hmac.digest`` for every key length around the block size).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

SignatureCheck = Callable[[bytes, bytes], bool]

_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def check(secret: bytes, digest: str) -> SignatureCheck:
    """A constant-time check of HMAC(``secret``, signing input) with ``digest`` ("sha256", "sha384" or "sha512")."""
    block_size = hashlib.new(digest).block_size
    if len(secret) > block_size:  # RFC 2104 section 2: a key longer than a block is hashed first
        secret = hashlib.new(digest, secret).digest()
    block = secret.ljust(block_size, b"\0")
    inner = hashlib.new(digest, block.translate(_IPAD))
    outer = hashlib.new(digest, block.translate(_OPAD))
    inner_copy, outer_copy, compare = inner.copy, outer.copy, hmac.compare_digest

    def verify(signing_input: bytes, signature: bytes) -> bool:
        # The shared states are only ever copied, never updated, so one check serves every thread.
        h = inner_copy()
        h.update(signing_input)
        o = outer_copy()
        o.update(h.digest())
        return compare(o.digest(), signature)

    return verify
