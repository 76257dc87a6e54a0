"""One regression test per class of vulnerability found in JWT libraries (PyJWT, python-jose, authlib, jwcrypto,
python-jwt and others), named after the mechanism; each docstring cites the advisories of that class.

Every attack token here is built for real (real keys, real signatures, a real JWE, a real HTTP server for ``jku``); the
verifier under test is configured the way an application would configure it.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from betterauth_jwt import (
    ConfigurationError,
    InvalidClaimsError,
    InvalidSignatureError,
    InvalidTokenError,
    MalformedTokenError,
    SharedSecret,
    StaticJWKS,
    TokenKind,
    UnknownKeyError,
    UnsupportedTokenError,
    Verifier,
    WrongTokenKindError,
)
from betterauth_jwt.testing import PrivateKey, b64url, public_jwk, sign_compact
from tests._support import public_key_encodings

from ._support import NOW, encode_segment, factory, foreign_key, genuine_token, verifier

ASYMMETRIC = ("EdDSA", "ES256", "ES512", "RS256", "PS256")
HMAC = ("HS256", "HS384", "HS512")


def _hmac_token(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """sign_compact with any HMAC secret, even an empty one (sign_compact itself does not judge secrets)."""
    return sign_compact(header, claims, secret)


# -- key confusion -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ASYMMETRIC)
@pytest.mark.parametrize("hmac_alg", HMAC)
def test_hmac_keyed_with_the_public_key_in_any_encoding_is_refused(alg: str, hmac_alg: str) -> None:
    """Algorithm confusion: the attacker signs HS256 with the verifier's *public* key as the HMAC secret, in every
    encoding a library might feed to HMAC (PEM, DER, OpenSSH, JWK, raw bytes).

    CVE-2015-9235 (node-jsonwebtoken), CVE-2016-10555 class, CVE-2017-11424 (PyJWT, PEM public keys),
    CVE-2022-29217 (PyJWT, OpenSSH ECDSA/Ed25519 keys), CVE-2024-33663 (python-jose), CVE-2024-37568 (authlib).
    """
    issuer = factory(alg)
    check = issuer.verifier()
    claims = issuer.access_claims("admin")
    for secret in public_key_encodings(issuer).values():
        for header in ({"alg": hmac_alg, "kid": issuer.kid}, {"alg": hmac_alg}, {"alg": hmac_alg, "typ": "JWT"}):
            with pytest.raises(UnsupportedTokenError):
                check.verify(_hmac_token(header, claims, secret))


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_an_hmac_allow_list_cannot_be_granted_to_public_keys(alg: str) -> None:
    """Asking for HS256 next to a JWKS does not make HMAC with public key material possible: the allow-list is
    intersected with what the keys can verify (CVE-2022-29217 was ``algorithms=get_default_algorithms()``)."""
    provider = factory(alg).key_provider()
    with pytest.raises(ConfigurationError):
        Verifier(provider, issuer="i", audience="a", algorithms=["HS256"])
    check = Verifier(provider, issuer=factory(alg).issuer, audience=factory(alg).issuer, algorithms=["HS256", alg])
    assert check.algorithms == frozenset({alg})
    secret = public_key_encodings(factory(alg))["pem"]
    with pytest.raises(UnsupportedTokenError):
        check.verify(_hmac_token({"alg": "HS256", "kid": factory(alg).kid}, factory(alg).access_claims(), secret))


@pytest.mark.parametrize(
    ("key_alg", "token_alg"),
    [
        ("RS256", "PS256"),
        ("PS256", "RS256"),
        ("RS256", "RS512"),
        ("PS256", "PS512"),
        ("ES256", "ES512"),
        ("ES512", "ES256"),
    ],
)
def test_a_key_verifies_only_its_own_algorithm_even_when_signed_by_that_key(key_alg: str, token_alg: str) -> None:
    """Algorithm confusion within one key type: the same RSA key used for RS256 and PS256 (or a curve used with another
    hash). The JWK's ``alg`` binds the key; the token's header cannot pick another (RFC 8725 section 3.1)."""
    issuer = factory(key_alg)
    private = issuer.private_key
    assert not isinstance(private, bytes)
    claims = issuer.access_claims()
    header = {"alg": token_alg, "kid": issuer.kid}
    if isinstance(private, rsa.RSAPrivateKey):
        token = sign_compact(header, claims, private)
    else:  # an EC key signs with the hash of the claimed algorithm but its own curve size
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        hash_ = hashes.SHA512() if token_alg == "ES512" else hashes.SHA256()
        signing_input = f"{encode_segment(header)}.{encode_segment(claims)}"
        r, s = decode_dss_signature(private.sign(signing_input.encode(), ec.ECDSA(hash_)))
        size = (private.curve.key_size + 7) // 8
        token = f"{signing_input}.{b64url(r.to_bytes(size, 'big') + s.to_bytes(size, 'big'))}"
    with pytest.raises(InvalidTokenError) as caught:
        issuer.verifier().verify(token)
    assert caught.value.code in ("algorithm_mismatch", "unsupported_algorithm")


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_an_algorithm_of_another_key_type_is_refused_under_a_genuine_kid(alg: str) -> None:
    """A token claiming ``ES256`` (or ``EdDSA``...) under an RSA key's kid is refused before any signature check."""
    issuer = factory(alg)
    for other in ASYMMETRIC:
        if other == alg:
            continue
        token = sign_compact({"alg": other, "kid": issuer.kid}, issuer.access_claims(), foreign_key(other))
        with pytest.raises(InvalidTokenError):
            Verifier(
                _two_key_provider(alg, other), issuer=issuer.issuer, audience=issuer.issuer, clock=lambda: NOW
            ).verify(token)


def _two_key_provider(alg: str, other: str) -> StaticJWKS:
    """A JWKS with the genuine key and a key of another type, so both algorithms are on the allow-list."""
    second = factory(other)
    return StaticJWKS({"keys": [*factory(alg).jwks["keys"], *second.jwks["keys"]]})


# -- header parameters that change the rules ----------------------------------------------------------------------


@pytest.mark.parametrize("alg", [*ASYMMETRIC, "HS256"])
@pytest.mark.parametrize("crit", [["exp"], ["b64"], ["x-unknown"], [], "b64", None])
def test_a_crit_header_is_never_ignored(alg: str, crit: Any) -> None:
    """``crit`` lists extensions the recipient MUST understand, or else reject the token (RFC 7515 section 4.1.11); a
    library that ignores it accepts tokens whose meaning it does not know. We implement no extension, so any ``crit``
    (even an empty or malformed one) is refused."""
    issuer = factory(alg)
    token = issuer.sign(issuer.access_claims(), {**issuer.header(), "crit": crit})
    with pytest.raises(UnsupportedTokenError) as caught:
        issuer.verifier().verify(token)
    assert caught.value.code == "unsupported_header"


def _unencoded_payload_token(alg: str, claims: dict[str, Any], detached: bool) -> str:
    """RFC 7797: with ``b64: false`` the signature covers the raw payload bytes, not their base64url encoding."""
    issuer = factory(alg)
    header = encode_segment({**issuer.header(), "b64": False, "crit": ["b64"]})
    payload = json.dumps(claims, separators=(",", ":"))
    signing_input = f"{header}.{payload}".encode()
    key = issuer.private_key
    if isinstance(key, bytes):
        raw = hmac.digest(key, signing_input, "sha256")
    elif isinstance(key, Ed25519PrivateKey):
        raw = key.sign(signing_input)
    elif isinstance(key, rsa.RSAPrivateKey):
        pad = padding.PKCS1v15() if alg.startswith("RS") else padding.PSS(padding.MGF1(hashes.SHA256()), 32)
        raw = key.sign(signing_input, pad, hashes.SHA256())
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        hash_ = hashes.SHA512() if alg == "ES512" else hashes.SHA256()
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hash_)))
        size = (key.curve.key_size + 7) // 8
        raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return f"{header}.{'' if detached else payload}.{b64url(raw)}"


@pytest.mark.parametrize("alg", [*ASYMMETRIC, "HS256"])
@pytest.mark.parametrize("detached", [False, True], ids=["inline", "detached"])
def test_an_unencoded_b64_false_payload_is_refused(alg: str, detached: bool) -> None:
    """``b64: false`` changes what the signature covers (RFC 7797); accepting it lets the same bytes mean two things.
    Never issued by Better Auth, so always refused, with or without ``crit``."""
    issuer = factory(alg)
    with pytest.raises(InvalidTokenError):
        issuer.verifier().verify(_unencoded_payload_token(alg, issuer.access_claims("admin"), detached))
    for b64 in (False, True):
        token = issuer.sign(issuer.access_claims(), {**issuer.header(), "b64": b64})
        with pytest.raises(UnsupportedTokenError):
            issuer.verifier().verify(token)


# -- claims compared loosely ----------------------------------------------------------------------------------------

ISSUER = "https://app.example.com"


@pytest.mark.parametrize(
    "iss",
    [
        "",
        "h",
        "https",
        "https://app",
        "app.example.com",
        "example.com",
        ISSUER[:-1],
        ISSUER + "m",
        ISSUER + "/",
        ISSUER + ".evil.example",
        ISSUER + "@evil.example",
        "https://evil.example/" + ISSUER,
        [ISSUER],
        [ISSUER, "https://evil.example"],
        {"iss": ISSUER},
    ],
)
def test_the_issuer_is_compared_exactly_not_as_a_substring_prefix_or_member(iss: Any) -> None:
    """PyJWT 2.10.0 checked ``iss`` with ``in`` against a string, so any substring of the issuer passed
    (CVE-2024-53861); others match prefixes or accept lists. Only the exact string is the issuer."""
    issuer = factory("EdDSA")
    check = Verifier(issuer.key_provider(), issuer=ISSUER, audience=ISSUER, clock=lambda: NOW)
    token = issuer.access_token(iss=iss, aud=ISSUER)
    with pytest.raises(InvalidClaimsError) as caught:
        check.verify(token)
    assert caught.value.code == "invalid_issuer"
    assert check.verify(issuer.access_token(iss=ISSUER, aud=ISSUER)).user_id == "user_1"


@pytest.mark.parametrize(
    "aud", ["", "https://app", ISSUER[:-1], ISSUER + "/", [ISSUER[:-1]], [[ISSUER]], {"a": ISSUER}]
)
def test_the_audience_is_compared_exactly_not_as_a_substring_or_nested_member(aud: Any) -> None:
    """The same mistake for ``aud`` (string containment, or a nested list that ``in`` would find)."""
    issuer = factory("EdDSA")
    check = Verifier(issuer.key_provider(), issuer=ISSUER, audience=ISSUER, clock=lambda: NOW)
    with pytest.raises(InvalidClaimsError) as caught:
        check.verify(issuer.access_token(iss=ISSUER, aud=aud))
    assert caught.value.code in ("invalid_audience", "missing_claim")


@pytest.mark.parametrize("where", ["payload", "header"])
def test_duplicate_json_members_are_refused_not_resolved(where: str) -> None:
    """Two ``sub`` (or ``alg``) members: one parser keeps the first, another the last, and they disagree about who the
    user is. Same class as CVE-2017-12635 (CouchDB, duplicate ``roles``); RFC 8259 leaves the behaviour undefined."""
    issuer = factory("EdDSA")
    claims = json.dumps(issuer.access_claims("user_1"), separators=(",", ":"))
    header = json.dumps(issuer.header(), separators=(",", ":"))
    if where == "payload":
        claims = claims[:-1] + ',"sub":"admin"}'
    else:
        header = header[:-1] + ',"alg":"none"}'
    signing_input = f"{b64url(header.encode())}.{b64url(claims.encode())}"
    private = issuer.private_key
    assert isinstance(private, Ed25519PrivateKey)
    token = f"{signing_input}.{b64url(private.sign(signing_input.encode()))}"
    with pytest.raises(MalformedTokenError):
        issuer.verifier().verify(token)


# -- token shapes that are not a compact JWS ----------------------------------------------------------------------


def test_json_and_compact_serialization_polyglots_are_refused() -> None:
    """python-jwt (CVE-2022-39227) parsed a token as compact for the signature and as JSON for the claims, so a JSON
    document carrying a genuine signature and forged claims passed. Only the compact serialization is accepted, as a
    whole."""
    issuer = factory("EdDSA")
    genuine = issuer.access_token("user_1")
    header, payload, signature = genuine.split(".")
    forged_payload = encode_segment(issuer.access_claims("admin"))
    check = issuer.verifier()
    polyglots = [
        json.dumps(
            {f" {header}.{forged_payload}.": "", "protected": header, "payload": payload, "signature": signature}
        ),
        json.dumps({"protected": header, "payload": payload, "signature": signature}),
        json.dumps({"payload": payload, "signatures": [{"protected": header, "signature": signature}]}),
        f"{header}.{forged_payload}.{signature}" + json.dumps({"payload": payload}),
        f'{{"{header}.{payload}.{signature}":1}}',
        f"{genuine}.{forged_payload}",
        f"{header}.{forged_payload}.{signature}.{genuine}",
    ]
    for token in polyglots:
        with pytest.raises(InvalidTokenError):
            check.verify(token)


def _jwe_compact(header: dict[str, Any], plaintext: bytes, rsa_public: rsa.RSAPublicKey | None) -> str:
    """A real JWE (RFC 7516): AES-256-GCM content, the key wrapped with RSA-OAEP-256 or direct (``dir``)."""
    protected = encode_segment(header)
    cek = os.urandom(32)
    wrapped = b""
    if rsa_public is not None:
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        wrapped = rsa_public.encrypt(cek, oaep)
    iv = os.urandom(12)
    sealed = AESGCM(cek).encrypt(iv, plaintext, protected.encode())
    return ".".join([protected, b64url(wrapped), b64url(iv), b64url(sealed[:-16]), b64url(sealed[-16:])])


@pytest.mark.parametrize("kind", [TokenKind.ACCESS, TokenKind.SESSION_COOKIE], ids=lambda kind: kind.value)
def test_an_encrypted_jwe_is_refused_where_a_signed_jws_is_expected(kind: TokenKind) -> None:
    """Anyone can *encrypt* to a public key; a verifier that accepts JWE where it expects JWS trusts forged claims.
    jwcrypto auto-detected the token type (CVE-2022-3102); RFC 8725 section 2.8. Better Auth's own ``jwe`` cookie
    strategy is refused too: it is not something a stateless verifier can check."""
    issuer = factory("RS256")
    private = issuer.private_key
    assert isinstance(private, rsa.RSAPrivateKey)
    forged = json.dumps(issuer.access_claims("admin")).encode()
    tokens = [
        _jwe_compact({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": issuer.kid}, forged, private.public_key()),
        _jwe_compact({"alg": "dir", "enc": "A256CBC-HS512", "kid": "thumbprint"}, forged, None),
    ]
    # A JWE header squeezed into three segments must not pass as a JWS either.
    tokens.append(issuer.sign(issuer.access_claims(), {**issuer.header(), "enc": "A256GCM"}))
    check = issuer.verifier(kind)
    for token in tokens:
        with pytest.raises(MalformedTokenError) as caught:
            check.verify(token)
        assert caught.value.code == "encrypted_token"


@pytest.mark.parametrize("alg", [*ASYMMETRIC, "HS256"])
@pytest.mark.parametrize(
    "spelling", ["none", "None", "NONE", "nOnE", " none", "none ", "none\x00", "", None, ["none"], {"none": 1}, 0, "-"]
)
def test_alg_none_is_refused_in_every_spelling(alg: str, spelling: Any) -> None:
    """Unsecured JWS (``alg: none``) with an empty or arbitrary signature: T. McLean, "Critical vulnerabilities in JSON
    Web Token libraries" (Auth0, 2015); RFC 8725 section 3.1. Case, blank and type variants included."""
    issuer = factory(alg)
    claims = encode_segment(issuer.access_claims("admin"))
    check = issuer.verifier()
    for header in ({"alg": spelling}, {"alg": spelling, "kid": issuer.kid}, {"typ": "JWT"}):
        for signature in ("", b64url(b"\x00" * 64)):
            with pytest.raises(InvalidTokenError):
                check.verify(f"{encode_segment(header)}.{claims}.{signature}")


# -- embedded and remote keys --------------------------------------------------------------------------------------


class _CountingServer:
    """A real HTTP server on loopback that serves the attacker's JWKS and certificate, and counts who asks."""

    def __init__(self, body: bytes) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> _CountingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def _self_signed_certificate(key: PrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app.example.com")])
    moment = datetime.fromtimestamp(NOW, tz=UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(moment - timedelta(days=1))
        .not_valid_after(moment + timedelta(days=1))
    )
    algorithm = None if isinstance(key, Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.DER)


@pytest.fixture
def attacker_server() -> Iterator[_CountingServer]:
    attacker = foreign_key("ES256")
    assert not isinstance(attacker, bytes)
    with _CountingServer(json.dumps({"keys": [public_jwk(attacker, "ES256", "attacker")]}).encode()) as server:
        yield server


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_keys_embedded_in_or_linked_from_the_header_are_never_used_or_fetched(
    alg: str, attacker_server: _CountingServer
) -> None:
    """The token names its own key: ``jwk`` (CVE-2018-0114, node-jose), ``jku``/``x5u`` (a URL the verifier would fetch:
    key injection and SSRF), ``x5c`` (a self-signed chain). RFC 8725 section 3.10. Keys come from the provider only,
    and no request is ever made to a URL found in a token."""
    genuine = factory(alg)
    attacker = foreign_key(alg)
    assert not isinstance(attacker, bytes)
    attacker_jwk = public_jwk(attacker, alg, genuine.kid or "attacker")
    certificate = base64.b64encode(_self_signed_certificate(attacker)).decode()
    embedded = [
        {"jwk": attacker_jwk},
        {"jwk": genuine.jwks["keys"][0]},
        {"jku": f"{attacker_server.url}/jwks"},
        {"x5u": f"{attacker_server.url}/cert"},
        {"x5c": [certificate]},
        {"jku": f"{attacker_server.url}/jwks", "jwk": attacker_jwk, "x5c": [certificate]},
    ]
    check = genuine.verifier()
    for extra in embedded:
        for kid in (genuine.kid, "attacker", None):
            header = {"alg": alg, **extra}
            if kid is not None:
                header["kid"] = kid
            with pytest.raises(UnsupportedTokenError) as caught:
                check.verify(sign_compact(header, genuine.access_claims("admin"), attacker))
            assert caught.value.code == "embedded_key"
    # Even the genuine signer cannot make the verifier follow a link: such a token is refused outright.
    with pytest.raises(UnsupportedTokenError):
        check.verify(genuine.sign(genuine.access_claims(), {**genuine.header(), "jku": f"{attacker_server.url}/jwks"}))
    assert attacker_server.requests == []


@pytest.mark.parametrize(
    "kid",
    [
        "../../../../../../dev/null",
        "/dev/null",
        "../../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "' OR '1'='1",
        "x'; DROP TABLE jwks; --",
        "1 UNION SELECT 'secret'",
        "$(id)",
        "key|id",
        "${jndi:ldap://127.0.0.1/a}",
        "http://127.0.0.1:1/jwks",
        "*",
        "%",
        "\x00",
        "kid\n",
        "k" * 256,
    ],
)
def test_kid_injection_strings_are_just_unknown_keys(kid: str) -> None:
    """``kid`` used as a file path (sign with the contents of /dev/null: an empty HMAC key) or in an SQL query is a
    classic (PortSwigger Web Security Academy, "JWT authentication bypass via kid header path traversal"). Here a kid
    is only a dictionary key: anything not published is an unknown key, and nothing is read, queried or fetched."""
    for alg in ASYMMETRIC:
        issuer = factory(alg)
        token = sign_compact({"alg": alg, "kid": kid}, issuer.access_claims("admin"), foreign_key(alg))
        with pytest.raises(UnknownKeyError):
            issuer.verifier().verify(token)
        empty_key_token = _hmac_token({"alg": "HS256", "kid": kid}, issuer.access_claims("admin"), b"")
        with pytest.raises(UnsupportedTokenError):
            issuer.verifier().verify(empty_key_token)
    hs = factory("HS256")
    with pytest.raises(InvalidSignatureError):  # a shared secret ignores kid entirely
        hs.verifier().verify(_hmac_token({"alg": "HS256", "kid": kid}, hs.access_claims("admin"), b""))


@pytest.mark.parametrize("kid", ["", "k" * 257, 7, ["kid"], {"kid": "x"}, True])
def test_a_kid_that_is_not_a_short_string_is_malformed(kid: Any) -> None:
    issuer = factory("EdDSA")
    token = sign_compact({"alg": "EdDSA", "kid": kid}, issuer.access_claims(), issuer.private_key)
    with pytest.raises(MalformedTokenError):
        issuer.verifier().verify(token)


# -- signatures that are not signatures ----------------------------------------------------------------------------

# Group orders of P-256 and P-521 (SEC 2); test_the_curve_orders_are_right checks them against OpenSSL.
_ORDER = {
    "ES256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "ES512": int("1FF" + "F" * 63 + "A51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16),
}
_CURVE = {"ES256": ec.SECP256R1(), "ES512": ec.SECP521R1()}
_CURVE_P = {"ES256": 2**256 - 2**224 + 2**192 + 2**96 - 1, "ES512": 2**521 - 1}


@pytest.mark.parametrize("alg", ["ES256", "ES512"])
def test_the_curve_orders_are_right(alg: str) -> None:
    """(n - 1) * G = -G: same x, other y. A wrong n would make the two tests below prove nothing."""
    generator = ec.derive_private_key(1, _CURVE[alg]).public_key().public_numbers()
    minus_generator = ec.derive_private_key(_ORDER[alg] - 1, _CURVE[alg]).public_key().public_numbers()
    assert (generator.x, generator.y) == (minus_generator.x, _CURVE_P[alg] - minus_generator.y)


def _ecdsa_signature(alg: str, r: int, s: int) -> str:
    size = 32 if alg == "ES256" else 66
    return b64url(r.to_bytes(size, "big") + s.to_bytes(size, "big"))


@pytest.mark.parametrize("alg", ["ES256", "ES512"])
def test_zero_and_out_of_range_ecdsa_signatures_are_refused(alg: str) -> None:
    """Psychic signatures: Java accepted ECDSA r = s = 0 for any message and key (CVE-2022-21449). Values at or past the
    group order n are refused too (r + n still fits the 66-byte ES512 field)."""
    issuer = factory(alg)
    n = _ORDER[alg]
    genuine = issuer.access_token()
    header, payload, signature = genuine.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    size = len(raw) // 2
    r, s = int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
    forged_payload = encode_segment(issuer.access_claims("admin"))
    candidates = [(0, 0), (0, 1), (1, 0), (n, n), (0, s), (r, 0), (n, s), (r, n)]
    if (r + n).bit_length() <= 8 * size:
        candidates += [(r + n, s), (r, s + n)]
    check = issuer.verifier()
    for r_, s_ in candidates:
        for body in (payload, forged_payload):
            with pytest.raises(InvalidSignatureError):
                check.verify(f"{header}.{body}.{_ecdsa_signature(alg, r_, s_)}")


@pytest.mark.parametrize("alg", ["ES256", "ES512"])
def test_ecdsa_malleability_cannot_change_the_claims(alg: str) -> None:
    """(r, n - s) is a second valid signature of the *same* message: ECDSA is malleable and JWS does not require low-s
    (WebCrypto, which Better Auth signs with, does not normalise s), so it is accepted. It yields the same identity;
    this is why nothing may treat the token string as a unique id of a token (our cache only stores what verified)."""
    issuer = factory(alg)
    genuine = issuer.access_token()
    header, payload, signature = genuine.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    size = len(raw) // 2
    r, s = int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
    twin = f"{header}.{payload}.{_ecdsa_signature(alg, r, _ORDER[alg] - s)}"
    check = issuer.verifier()
    assert check.verify(twin) == check.verify(genuine)


@pytest.mark.parametrize("alg", [*ASYMMETRIC, "HS256"])
@pytest.mark.parametrize("kind", [TokenKind.ACCESS, TokenKind.SESSION_COOKIE], ids=lambda kind: kind.value)
def test_empty_zero_and_truncated_signatures_are_refused(alg: str, kind: TokenKind) -> None:
    """Signature stripping: an empty signature segment, or all-zero bytes of the right length (the kind of input that
    psychic-signature and ``alg`` downgrade bugs let through)."""
    token = genuine_token(alg, kind)
    header, payload, signature = token.split(".")
    length = len(base64.urlsafe_b64decode(signature + "=="))
    check = verifier(alg, kind)
    zeros, ones = b64url(bytes(length)), b64url(b"\xff" * length)
    for forged in (
        f"{header}.{payload}.",
        f"{header}.{payload}",
        f"{header}.{payload}.{zeros}",
        f"{header}.{payload}.{ones}",
        f"{header}.{payload}.{signature[: len(signature) // 2]}",
        f"{header}.{payload}.{b64url(bytes(1))}",
    ):
        with pytest.raises(InvalidTokenError):
            check.verify(forged)


# -- size bombs ----------------------------------------------------------------------------------------------------


def _peak_bytes_while_refusing(check: Verifier, token: str) -> tuple[InvalidTokenError, int]:
    tracemalloc.start()
    try:
        with pytest.raises(InvalidTokenError) as caught:
            check.verify(token)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, peak


@pytest.mark.parametrize("size", [16 * 1024 + 1, 1024 * 1024, 16 * 1024 * 1024])
def test_an_oversized_token_is_refused_before_any_decoding(size: int) -> None:
    """The size cap comes first: a huge token costs no base64 or JSON decoding, so no memory in proportion to it
    (decoding 16 MB would allocate about 12 MB). Work is measured as allocated memory, not wall-clock time."""
    issuer = factory("HS256")
    header, _, signature = issuer.access_token().split(".")
    padding_claims = "A" * (size - len(header) - len(signature) - 2)
    error, peak = _peak_bytes_while_refusing(issuer.verifier(), f"{header}.{padding_claims}.{signature}")
    assert error.code == "token_too_large"
    assert peak < 64 * 1024


def test_a_compressed_jwe_bomb_is_never_inflated() -> None:
    """``zip: DEF`` content expands without bound: python-jose (CVE-2024-33664) and jwcrypto (CVE-2024-28102) inflated
    it before any check. A JWE is refused from its shape, and nothing is decompressed."""
    bomb = zlib.compress(b"{" + b" " * (8 * 1024 * 1024) + b"}", 9)
    assert len(bomb) < 12 * 1024
    token = _jwe_compact({"alg": "dir", "enc": "A256GCM", "zip": "DEF"}, bomb, None)
    error, peak = _peak_bytes_while_refusing(factory("HS256").verifier(), token)
    assert error.code == "encrypted_token"
    assert peak < 256 * 1024
    three_parts = factory("HS256").sign({"x": 1}, {"alg": "HS256", "zip": "DEF"})
    error, _ = _peak_bytes_while_refusing(factory("HS256").verifier(), three_parts)
    assert error.code == "encrypted_token"


@pytest.mark.parametrize("where", ["header", "payload"])
@pytest.mark.parametrize("depth", [33, 1000, 5000])
def test_deeply_nested_json_is_refused_without_recursion_errors(where: str, depth: int) -> None:
    """Deep nesting exhausts the parser's recursion (a RecursionError, a 500) or a later recursive walk."""
    issuer = factory("HS256")
    nested = "[" * depth + "]" * depth
    claims = json.dumps(issuer.access_claims(), separators=(",", ":"))
    header = json.dumps(issuer.header(), separators=(",", ":"))
    if where == "payload":
        claims = claims[:-1] + f',"deep":{nested}}}'
    else:
        header = header[:-1] + f',"deep":{nested}}}'
    token = _hmac_token_raw(header, claims, issuer.secret or b"")
    with pytest.raises(MalformedTokenError):
        issuer.verifier().verify(token)


def _hmac_token_raw(header: str, claims: str, secret: bytes) -> str:
    signing_input = f"{b64url(header.encode())}.{b64url(claims.encode())}"
    return f"{signing_input}.{b64url(hmac.digest(secret, signing_input.encode(), 'sha256'))}"


@pytest.mark.parametrize(
    ("literal", "code"),
    [
        ("1" + "0" * 4000, "invalid_claim"),  # parses (under Python's 4300-digit limit), but is no NumericDate
        ("1" + "0" * 6000, "malformed_token"),  # past the limit that CVE-2020-10735 gave int()
        ("1e999", "invalid_claim"),  # a float overflowing to infinity
        ("-1e999", "invalid_claim"),
        ("0." + "0" * 8000 + "1", "token_expired"),  # long, but linear to parse: a tiny positive number, long past
    ],
)
def test_huge_numbers_are_refused_in_bounded_work(literal: str, code: str) -> None:
    """Integer/str conversion is quadratic in the number of digits (CVE-2020-10735); the size cap bounds the digits,
    and the value must still be a sane NumericDate."""
    issuer = factory("HS256")
    claims = issuer.access_claims()
    text = json.dumps(claims, separators=(",", ":")).replace(f'"exp":{claims["exp"]}', f'"exp":{literal}')
    assert literal in text
    token = _hmac_token_raw(json.dumps(issuer.header()), text, issuer.secret or b"")
    with pytest.raises(InvalidTokenError) as caught:
        issuer.verifier().verify(token)
    assert caught.value.code == code


# -- confusions between Better Auth's tokens -----------------------------------------------------------------------


@pytest.mark.parametrize("alg", [*ASYMMETRIC, "HS256"])
def test_each_token_kind_is_refused_where_the_other_is_expected(alg: str) -> None:
    """Cross-JWT confusion (RFC 8725 section 2.8): Better Auth signs access tokens and session cookies with the same
    key; only their shape, ``typ`` and ``aud`` tell them apart."""
    with pytest.raises(WrongTokenKindError):
        verifier(alg, TokenKind.ACCESS).verify(genuine_token(alg, TokenKind.SESSION_COOKIE))
    with pytest.raises(InvalidTokenError):
        verifier(alg, TokenKind.SESSION_COOKIE).verify(genuine_token(alg, TokenKind.ACCESS))


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_an_id_token_for_another_client_is_not_an_access_token(alg: str) -> None:
    """With Better Auth's OIDC provider plugin the same key signs id_tokens whose ``aud`` is a client id; even one whose
    ``aud`` is this application's (a client id equal to the origin) is another kind (RFC 8725 section 2.8)."""
    issuer = factory(alg)
    for aud in ("client-123", issuer.issuer):
        token = issuer.sign(issuer.access_claims(aud=aud, nonce="n"), {**issuer.header(), "typ": "JWT"})
        with pytest.raises(InvalidTokenError) as caught:
            issuer.verifier().verify(token)
        assert caught.value.code in {"wrong_token_kind", "invalid_audience"}
        assert aud == "client-123" or caught.value.code == "wrong_token_kind"


@pytest.mark.parametrize(
    "secret", [b"", b"short", b"x" * 31, "better-auth-secret-12345678901234567890", "better-auth-secret-123456789"]
)
def test_empty_short_or_published_default_hmac_secrets_are_refused_at_start_up(secret: str | bytes) -> None:
    """An HMAC key shorter than the hash output is too weak (RFC 7518 section 3.2; several libraries accept even an
    empty key), and Better Auth's documented default secrets are public."""
    with pytest.raises(ConfigurationError):
        SharedSecret(secret)
