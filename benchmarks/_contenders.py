"""The contenders: betterauth-jwt, the practical floor and the peer libraries, each set up to make the same checks.

A :class:`Case` is one algorithm with its key, a Better Auth-shaped token supply and a set of tokens every implementation
must reject. Each contender turns a case into a ``verify(token)`` callable that returns the claims (or an identity) and
raises on rejection. Peers verify with equivalent checks: the signature with the one algorithm of the key, ``exp``,
``iss`` and ``aud`` (each of them required), with keys imported once, outside the timed loop. Five peers are pure
Python over ``cryptography``; three are Rust extensions (oxyjwt, webtoken, and ryjwt where Python is 3.12+), which are
in the dev extra and are left out when not installed.

The *floor* is the least work any verifier must do: base64url-decode the three segments, ``json.loads`` the header and
the payload, and make the single signature call, on the fastest backend installed for the algorithm (EdDSA: libsodium
through PyNaCl; RS256/ES256: ``cryptography``, plus the raw R||S to DER conversion for ES256; HS256: SHA-256 from the
key's precomputed pads and ``hmac.compare_digest``). It checks no claim, so it is not a verifier, only a yardstick.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from betterauth_jwt import SharedSecret, StaticJWKS, Verifier
from betterauth_jwt.testing import TokenFactory, b64url, sign_compact

ALGORITHMS = ("HS256", "RS256", "ES256", "EdDSA")
ISSUER = AUDIENCE = "https://app.example.com"
TOKEN_LIFETIME = 3600  # long enough for any benchmark run; Better Auth's own is 900 s

Verify = Callable[[str], Any]


@dataclass
class Case:
    """One algorithm: its key material, a token minter, and the tokens every implementation must reject."""

    alg: str
    factory: TokenFactory = field(init=False)
    minted: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.factory = TokenFactory(self.alg, issuer=ISSUER, audience=AUDIENCE)

    @property
    def secret(self) -> bytes | None:
        return self.factory.secret

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK, as Better Auth publishes it (``kty``, ``crv``/``x``/``y``/``n``/``e``, ``alg``, ``kid``)."""
        return self.factory.jwks["keys"][-1]

    def tokens(self, count: int, prefix: str = "user", *, distinct_seconds: bool = False) -> list[str]:
        """``count`` distinct valid tokens (one user each), shaped like Better Auth's JWT-plugin tokens.

        Minted together, they are issued (and expire) in the same second, as a busy service's new tokens mostly are.
        With ``distinct_seconds``, no two tokens of this case share an issue or expiry second: betterauth-jwt then
        shares no datetime between their identities, its least favourable case.
        """
        if not distinct_seconds:
            return [self.factory.access_token(f"{prefix}_{i}", expires_in=TOKEN_LIFETIME) for i in range(count)]
        now = int(time.time())
        tokens = []
        for i in range(count):
            self.minted += 1
            age = self.minted  # issued `age` seconds ago; expiring `age` seconds after TOKEN_LIFETIME from now
            tokens.append(
                self.factory.access_token(f"{prefix}_{i}", issued_at=now - age, expires_in=2 * age + TOKEN_LIFETIME)
            )
        return tokens

    def tampered(self) -> dict[str, str]:
        """Tokens that every verifier must reject, by what is wrong with them."""
        f = self.factory
        valid = f.access_token("victim", expires_in=TOKEN_LIFETIME)
        header, payload, signature = valid.split(".")
        flipped = bytearray(base64.urlsafe_b64decode(signature + "=="))
        flipped[0] ^= 1
        claims = f.access_claims("victim", expires_in=TOKEN_LIFETIME)
        no_exp = {k: v for k, v in claims.items() if k != "exp"}
        stranger = TokenFactory(self.alg, issuer=ISSUER, audience=AUDIENCE)
        return {
            "bad signature": f"{header}.{payload}.{b64url(bytes(flipped))}",
            "altered payload": f"{header}.{b64url(json.dumps({**claims, 'sub': 'admin'}).encode())}.{signature}",
            "signed by another key": sign_compact(f.header(), claims, stranger.private_key),
            "alg none": f"{b64url(json.dumps({'alg': 'none'}).encode())}.{payload}.",
            "expired": f.access_token("victim", issued_at=time.time() - 7200, expires_in=900),
            "wrong issuer": f.access_token("victim", expires_in=TOKEN_LIFETIME, iss="https://evil.example.com"),
            "wrong audience": f.access_token("victim", expires_in=TOKEN_LIFETIME, aud="https://other.example.com"),
            "no exp": f.sign(no_exp),
        }


# Tampering that the floor (signature only) must catch too; the rest are claims, which only verifiers check.
SIGNATURE_TAMPERING = ("bad signature", "altered payload", "signed by another key")


@dataclass(frozen=True)
class Contender:
    name: str
    call: str  # the verification call, as documented in docs/performance.md
    build: Callable[[Case], Verify | None]  # None: the library does not support this algorithm (or is not installed)
    checks_claims: bool = True
    # Tampered tokens (Case.tampered labels) that this peer cannot be configured to refuse: the agreement check skips
    # them, and benchmarks._gaps shows them with everything else it does not check.
    cannot_refuse: tuple[str, ...] = ()


# -- the floor ---------------------------------------------------------------------------------------------------------


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def libsodium_verify() -> Callable[[bytes, bytes, int, bytes], int] | None:
    """libsodium's ``crypto_sign_verify_detached`` from PyNaCl's extension module, or None without PyNaCl."""
    try:
        import cffi
        import nacl._sodium
        import nacl.bindings  # its import runs sodium_init()
    except ImportError:
        return None
    ffi = cffi.FFI()
    ffi.cdef(
        "int crypto_sign_verify_detached(const unsigned char *, const unsigned char *, unsigned long long, "
        "const unsigned char *);"
    )
    verify: Callable[[bytes, bytes, int, bytes], int] = ffi.dlopen(nacl._sodium.__file__).crypto_sign_verify_detached
    return verify


def signature_check(case: Case, backend: str = "fastest") -> Callable[[bytes, bytes], bool] | None:
    """The one signature call. ``fastest``: libsodium for EdDSA (when PyNaCl is installed), HMAC from precomputed pads
    for HS256, ``cryptography`` for RS256/ES256. ``previous``: the call before issue 22 where it differs (HS256: the
    one-shot ``hmac.digest``; EdDSA: ``cryptography``'s Ed25519), None for the algorithms it does not change."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if backend == "previous" and case.alg not in ("HS256", "EdDSA"):
        return None
    secret = case.secret
    if secret is not None:
        if backend == "previous":
            return lambda signing_input, signature: hmac.compare_digest(
                hmac.digest(secret, signing_input, "sha256"), signature
            )
        block = secret.ljust(64, b"\0")  # RFC 2104 with the two padded key blocks hashed once
        inner = hashlib.sha256(bytes(x ^ 0x36 for x in block))
        outer = hashlib.sha256(bytes(x ^ 0x5C for x in block))

        def hmac_ok(signing_input: bytes, signature: bytes) -> bool:
            h = inner.copy()
            h.update(signing_input)
            o = outer.copy()
            o.update(h.digest())
            return hmac.compare_digest(o.digest(), signature)

        return hmac_ok
    sodium = libsodium_verify() if case.alg == "EdDSA" and backend == "fastest" else None
    if sodium is not None:
        public_bytes = case.factory.private_key.public_key().public_bytes_raw()  # type: ignore[union-attr]
        return lambda signing_input, signature: (
            len(signature) == 64 and sodium(signature, signing_input, len(signing_input), public_bytes) == 0
        )
    public: Any = case.factory.private_key.public_key()  # type: ignore[union-attr]
    sha256, pkcs1, ecdsa = hashes.SHA256(), padding.PKCS1v15(), ec.ECDSA(hashes.SHA256())

    def check(signing_input: bytes, signature: bytes) -> bool:
        try:
            if case.alg == "RS256":
                public.verify(signature, signing_input, pkcs1, sha256)
            elif case.alg == "ES256":
                der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
                public.verify(der, signing_input, ecdsa)
            else:
                public.verify(signature, signing_input)
        except InvalidSignature:
            return False
        return True

    return check


def _floor(case: Case, backend: str = "fastest") -> Verify | None:
    signature_ok = signature_check(case, backend)
    if signature_ok is None:
        return None

    def verify(token: str) -> Any:
        header, payload, signature = token.split(".")
        json.loads(_b64decode(header))
        claims = json.loads(_b64decode(payload))
        if not signature_ok(f"{header}.{payload}".encode(), _b64decode(signature)):
            raise ValueError("bad signature")
        return claims

    return verify


# -- betterauth-jwt ----------------------------------------------------------------------------------------------------


def _ours(case: Case, **options: Any) -> Verify:
    keys = SharedSecret(case.secret) if case.secret is not None else StaticJWKS({"keys": [case.jwk]})
    return Verifier(keys, issuer=ISSUER, audience=AUDIENCE, **options).verify


def _ours_on_backend(case: Case, backend: str) -> Verify | None:
    """betterauth-jwt with its Ed25519 backend forced (keys are bound to a backend when loaded)."""
    from betterauth_jwt._jose import ed25519

    if case.alg != "EdDSA" or backend not in ed25519.BACKENDS:
        return None
    default = ed25519.DEFAULT_BACKEND
    ed25519.DEFAULT_BACKEND = backend  # type: ignore[assignment]
    try:
        return _ours(case)
    finally:
        ed25519.DEFAULT_BACKEND = default


# -- peers -------------------------------------------------------------------------------------------------------------


def _pyjwt(case: Case) -> Verify:
    import jwt

    key: Any = case.secret if case.secret is not None else jwt.PyJWK(case.jwk).key
    algorithms, options = [case.alg], {"require": ["exp", "iss", "aud"]}

    def verify(token: str) -> Any:
        return jwt.decode(token, key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER, options=options)

    return verify


def _joserfc(case: Case) -> Verify:
    from joserfc import jwt
    from joserfc.errors import SecurityWarning
    from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

    # joserfc warns on every EdDSA token (RFC 9864 prefers "Ed25519"), but Better Auth's tokens say "EdDSA".
    warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)

    key: Any
    if case.secret is not None:
        key = OctKey.import_key(case.secret)
    else:
        key = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}[case.jwk["kty"]].import_key(case.jwk)
    algorithms = [case.alg]
    registry = jwt.JWTClaimsRegistry(
        exp={"essential": True}, iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": AUDIENCE}
    )

    def verify(token: str) -> Any:
        claims = jwt.decode(token, key, algorithms=algorithms).claims
        registry.validate(claims)
        return claims

    return verify


def _authlib(case: Case) -> Verify:
    import authlib.deprecate  # noqa: F401  (imported first: it installs an "always" filter for its warning)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # authlib.jose is deprecated in favour of joserfc
        from authlib.jose import JsonWebKey, JsonWebToken

    key = (
        JsonWebKey.import_key(case.secret, {"kty": "oct"})
        if case.secret is not None
        else JsonWebKey.import_key(case.jwk)
    )
    jwt = JsonWebToken([case.alg])
    options = {
        "exp": {"essential": True},
        "iss": {"essential": True, "value": ISSUER},
        "aud": {"essential": True, "value": AUDIENCE},
    }

    def verify(token: str) -> Any:
        claims = jwt.decode(token, key, claims_options=options)
        claims.validate()
        return claims

    return verify


def _python_jose(case: Case) -> Verify | None:
    from jose import jwk, jwt

    if case.alg == "EdDSA":
        return None  # python-jose implements no OKP/EdDSA keys
    key = jwk.construct(case.secret if case.secret is not None else case.jwk, case.alg)
    algorithms = [case.alg]
    options = {"require_exp": True, "require_iss": True, "require_aud": True}

    def verify(token: str) -> Any:
        return jwt.decode(token, key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER, options=options)

    return verify


def _jwcrypto(case: Case) -> Verify:
    from jwcrypto import jwk, jwt

    key = jwk.JWK(kty="oct", k=b64url(case.secret)) if case.secret is not None else jwk.JWK(**case.jwk)
    algs = [case.alg]
    check_claims = {"exp": None, "iss": ISSUER, "aud": AUDIENCE}

    def verify(token: str) -> Any:
        return json.loads(jwt.JWT(jwt=token, key=key, algs=algs, check_claims=check_claims).claims)

    return verify


# -- Rust-backed peers (dev extra; ryjwt only on Python 3.12+): each with the fastest call that checks what we check ----


def _oxyjwt(case: Case) -> Verify | None:
    try:
        from oxyjwt import DecodingKey
        from oxyjwt._oxyjwt import decode
    except ImportError:
        return None
    key = DecodingKey.from_secret(case.secret) if case.secret is not None else DecodingKey.from_jwk(case.jwk)
    algorithms, require = [case.alg], ["exp", "iss", "aud"]

    def verify(token: str) -> Any:
        # The native decode: oxyjwt.decode() with options= takes a slower Python path, without them it requires no exp.
        return decode(token, key, algorithms, audience=AUDIENCE, issuer=ISSUER, require=require)

    return verify


def _webtoken(case: Case) -> Verify | None:
    try:
        import webtoken
        from webtoken import webtoken as api
    except ImportError:
        return None
    key = case.secret if case.secret is not None else api.rust_lib.load_jwk(json.dumps(case.jwk))
    algorithms, options = [case.alg], {"require": ["exp", "iss", "aud"]}

    def verify(token: str) -> Any:
        return webtoken.decode(token, key, algorithms=algorithms, options=options, audience=AUDIENCE, issuer=ISSUER)

    return verify


def _ryjwt(case: Case) -> Verify | None:
    try:
        import ryjwt
    except ImportError:  # no wheel before Python 3.12
        return None
    key: Any
    if case.secret is not None:
        key = ryjwt.SecretKey(case.secret, algorithms=[case.alg], audience=AUDIENCE, issuer=ISSUER)
    else:
        key = ryjwt.PublicKey.from_jwks({"keys": [case.jwk]}, algorithms=[case.alg], audience=AUDIENCE, issuer=ISSUER)
    return key.decode  # type: ignore[no-any-return]


FLOOR = Contender(
    "floor",
    "urlsafe_b64decode x3 + json.loads x2 + the fastest signature call installed: libsodium for EdDSA (PyNaCl), "
    "cryptography for RS256/ES256, HMAC from precomputed pads + compare_digest for HS256",
    _floor,
    checks_claims=False,
)
FLOOR_PREVIOUS = Contender(
    "floor, previous signature call",
    "the floor with the signature call before issue 22: HS256 one-shot hmac.digest, EdDSA cryptography's Ed25519",
    lambda case: _floor(case, "previous"),
    checks_claims=False,
)
OURS = Contender(
    "betterauth-jwt",
    "Verifier(keys, issuer=, audience=).verify(token), default cache (10,000 tokens), every token new to it",
    _ours,
)
OURS_NO_CACHE = Contender(
    "betterauth-jwt, cache_size=0",
    "Verifier(keys, issuer=, audience=, cache_size=0).verify(token)",
    lambda case: _ours(case, cache_size=0),
)
OURS_CRYPTOGRAPHY = Contender(
    "betterauth-jwt, cryptography's Ed25519",
    "as betterauth-jwt, with its Ed25519 backend forced to cryptography (the path before PyNaCl); EdDSA only",
    lambda case: _ours_on_backend(case, "cryptography"),
)
PEERS = (
    Contender(
        "PyJWT", "jwt.decode(token, key, algorithms=[alg], audience=, issuer=, options={require: exp,iss,aud})", _pyjwt
    ),
    Contender(
        "joserfc",
        "jwt.decode(token, key, algorithms=[alg]) + JWTClaimsRegistry(exp, iss, aud essential).validate",
        _joserfc,
    ),
    Contender(
        "authlib",
        "JsonWebToken([alg]).decode(token, key, claims_options={exp, iss, aud essential}).validate()",
        _authlib,
    ),
    Contender(
        "python-jose",
        "jwt.decode(token, key, algorithms=[alg], audience=, issuer=, options={require_exp,iss,aud})",
        _python_jose,
    ),
    Contender("jwcrypto", "jwt.JWT(jwt=token, key=key, algs=[alg], check_claims={exp, iss, aud}).claims", _jwcrypto),
)
RUST_PEERS = (
    Contender(
        "oxyjwt",
        "oxyjwt._oxyjwt.decode(token, DecodingKey.from_jwk(jwk), [alg], audience=, issuer=, require=[exp, iss, aud])",
        _oxyjwt,
    ),
    Contender(
        "webtoken",
        "webtoken.decode(token, load_jwk(jwk), algorithms=[alg], options={require: exp,iss,aud}, audience=, issuer=)",
        _webtoken,
    ),
    Contender(
        "ryjwt",
        "PublicKey.from_jwks(jwks, algorithms=[alg], audience=, issuer=).decode(token) (no way to require exp)",
        _ryjwt,
        cannot_refuse=("no exp",),
    ),
)
PEERS = (*PEERS, *RUST_PEERS)
CONTENDERS = (FLOOR, FLOOR_PREVIOUS, OURS, OURS_CRYPTOGRAPHY, OURS_NO_CACHE, *PEERS)


def disagreements(case: Case, contenders: tuple[Contender, ...] = CONTENDERS, valid_count: int = 3) -> list[str]:
    """Every way in which a contender fails to accept a valid token or to reject a tampered one (empty: all agree)."""
    valid = case.tokens(valid_count, prefix="agree")
    tampered = case.tampered()
    problems: list[str] = []
    for contender in contenders:
        verify = contender.build(case)
        if verify is None:
            continue
        for token in valid:
            try:
                verify(token)
            except Exception as exc:  # noqa: BLE001  (any library's error means it refused)
                problems.append(f"{contender.name}/{case.alg}: refused a valid token ({type(exc).__name__})")
        for label, token in tampered.items():
            if not contender.checks_claims and label not in SIGNATURE_TAMPERING:
                continue
            if label in contender.cannot_refuse:
                continue
            try:
                verify(token)
            except Exception:  # noqa: BLE001
                continue
            problems.append(f"{contender.name}/{case.alg}: accepted a token with {label}")
    return problems
