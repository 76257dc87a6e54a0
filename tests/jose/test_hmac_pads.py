"""The precomputed-pad HMAC check gives exactly ``hmac.digest``'s answer (RFC 2104; RFC 4231 test case 6 for a key
longer than the block)."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from betterauth_jwt._jose import hmac_pads

DIGESTS = ("sha256", "sha384", "sha512")


@pytest.mark.parametrize("digest", DIGESTS)
@given(key=st.binary(max_size=300), message=st.binary(max_size=600))
def test_it_accepts_exactly_hmac_digest(digest: str, key: bytes, message: bytes) -> None:
    check = hmac_pads.check(key, digest)
    expected = hmac.digest(key, message, digest)
    assert check(message, expected)
    assert not check(message, expected[:-1] + bytes([expected[-1] ^ 1]))
    assert not check(message, expected[:-1])
    assert not check(message + b".", expected)


@pytest.mark.parametrize("digest", DIGESTS)
@pytest.mark.parametrize("length", [0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 131])
def test_keys_around_the_block_size(digest: str, length: int) -> None:
    key = bytes(range(length % 256)) + b"\xaa" * max(0, length - 256)
    check = hmac_pads.check(key, digest)
    assert check(b"payload", hmac.digest(key, b"payload", digest))


def test_rfc_4231_case_6_key_longer_than_a_block() -> None:
    key = b"\xaa" * 131
    message = b"Test Using Larger Than Block-Size Key - Hash Key First"
    tag = bytes.fromhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    assert hmac_pads.check(key, "sha256")(message, tag)


def test_one_check_is_reused_without_carrying_state() -> None:
    check = hmac_pads.check(b"k" * 32, "sha256")
    for message in (b"a", b"b", b"a"):
        assert check(message, hmac.digest(b"k" * 32, message, "sha256"))
