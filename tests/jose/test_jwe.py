"""AES_CBC_HMAC_SHA2 content encryption against RFC 7518 Appendix B, and the compact JWE parser."""

from __future__ import annotations

import pytest

from betterauth_jwt import InvalidSignatureError, MalformedTokenError
from betterauth_jwt._jose.jwe import cbc_hmac_decrypt, cbc_hmac_encrypt, parse_jwe


def hex_bytes(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


# RFC 7518 Appendix B: the same plaintext, IV and associated data for every test case.
P = hex_bytes("""
    41 20 63 69 70 68 65 72 20 73 79 73 74 65 6d 20 6d 75 73 74 20 6e 6f 74 20 62 65 20 72 65 71 75
    69 72 65 64 20 74 6f 20 62 65 20 73 65 63 72 65 74 2c 20 61 6e 64 20 69 74 20 6d 75 73 74 20 62
    65 20 61 62 6c 65 20 74 6f 20 66 61 6c 6c 20 69 6e 74 6f 20 74 68 65 20 68 61 6e 64 73 20 6f 66
    20 74 68 65 20 65 6e 65 6d 79 20 77 69 74 68 6f 75 74 20 69 6e 63 6f 6e 76 65 6e 69 65 6e 63 65
""")
IV = hex_bytes("1a f3 8c 2d c2 b9 6f fd d8 66 94 09 23 41 bc 04")
A = hex_bytes("""
    54 68 65 20 73 65 63 6f 6e 64 20 70 72 69 6e 63 69 70 6c 65 20 6f 66 20 41 75 67 75 73 74 65 20
    4b 65 72 63 6b 68 6f 66 66 73
""")
# B.3, AES_256_CBC_HMAC_SHA_512 (Better Auth's A256CBC-HS512): K = 00 01 ... 3f
K_512 = bytes(range(64))
E_512 = hex_bytes("""
    4a ff aa ad b7 8c 31 c5 da 4b 1b 59 0d 10 ff bd 3d d8 d5 d3 02 42 35 26 91 2d a0 37 ec bc c7 bd
    82 2c 30 1d d6 7c 37 3b cc b5 84 ad 3e 92 79 c2 e6 d1 2a 13 74 b7 7f 07 75 53 df 82 94 10 44 6b
    36 eb d9 70 66 29 6a e6 42 7e a7 5c 2e 08 46 a1 1a 09 cc f5 37 0d c8 0b fe cb ad 28 c7 3f 09 b3
    a3 b7 5e 66 2a 25 94 41 0a e4 96 b2 e2 e6 60 9e 31 e6 e0 2c c8 37 f0 53 d2 1f 37 ff 4f 51 95 0b
    be 26 38 d0 9d d7 a4 93 09 30 80 6d 07 03 b1 f6
""")
T_512 = hex_bytes("4d d3 b4 c0 88 a7 f4 5c 21 68 39 64 5b 20 12 bf 2e 62 69 a8 c5 6a 81 6d bc 1b 26 77 61 95 5b c5")
# B.1, AES_128_CBC_HMAC_SHA_256: K = 00 01 ... 1f
K_256 = bytes(range(32))
E_256 = hex_bytes("""
    c8 0e df a3 2d df 39 d5 ef 00 c0 b4 68 83 42 79 a2 e4 6a 1b 80 49 f7 92 f7 6b fe 54 b9 03 a9 c9
    a9 4a c9 b4 7a d2 65 5c 5f 10 f9 ae f7 14 27 e2 fc 6f 9b 3f 39 9a 22 14 89 f1 63 62 c7 03 23 36
    09 d4 5a c6 98 64 e3 32 1c f8 29 35 ac 40 96 c8 6e 13 33 14 c5 40 19 e8 ca 79 80 df a4 b9 cf 1b
    38 4c 48 6f 3a 54 c5 10 78 15 8e e5 d7 9d e5 9f bd 34 d8 48 b3 d6 95 50 a6 76 46 34 44 27 ad e5
    4b 88 51 ff b5 98 f7 f8 00 74 b9 47 3c 82 e2 db
""")
T_256 = hex_bytes("65 2c 3f a3 6b 0a 7c 5b 32 19 fa b3 a3 0b c1 c4")

VECTORS = [("A256CBC-HS512", K_512, E_512, T_512), ("A128CBC-HS256", K_256, E_256, T_256)]


@pytest.mark.parametrize(("enc", "key", "ciphertext", "tag"), VECTORS, ids=["B.3", "B.1"])
def test_rfc_7518_appendix_b(enc: str, key: bytes, ciphertext: bytes, tag: bytes) -> None:
    assert cbc_hmac_encrypt(enc, key, A, IV, P) == (ciphertext, tag)
    assert cbc_hmac_decrypt(enc, key, A, IV, ciphertext, tag) == P


@pytest.mark.parametrize(("enc", "key", "ciphertext", "tag"), VECTORS, ids=["B.3", "B.1"])
def test_any_change_fails_the_tag_before_decryption(enc: str, key: bytes, ciphertext: bytes, tag: bytes) -> None:
    flipped = bytes([ciphertext[-1] ^ 1])
    for args in (
        (A, IV, ciphertext[:-1] + flipped, tag),  # the last block: a padding oracle's favourite
        (A + b"x", IV, ciphertext, tag),
        (A, bytes(16), ciphertext, tag),
        (A, IV, ciphertext, bytes(len(tag))),
        (A, IV, ciphertext[16:], tag),
    ):
        with pytest.raises(InvalidSignatureError):
            cbc_hmac_decrypt(enc, key, *args)
    with pytest.raises(MalformedTokenError):
        cbc_hmac_decrypt(enc, key, A, IV, ciphertext, tag[:-1])  # a truncated tag is not even compared
    with pytest.raises(MalformedTokenError):
        cbc_hmac_decrypt(enc, key, A, IV, ciphertext[:-1], tag)


def test_parse_jwe() -> None:
    parsed = parse_jwe("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0..AAAAAAAAAAAAAAAAAAAAAA.AAAA.AAAA", 4096)
    assert parsed.header == {"alg": "dir", "enc": "A256CBC-HS512"}
    assert parsed.encrypted_key == b""
    assert parsed.protected == b"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0"
    for bad in ("a.b.c", "e30.....", "bm90IGpzb24....", "W10..AA.AA.AA", "x" * 5000):
        with pytest.raises(MalformedTokenError):
            parse_jwe(bad, 4096)
