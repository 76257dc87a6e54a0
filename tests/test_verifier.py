from __future__ import annotations

import json
from typing import Any

import pytest

from betterauth_jwt import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidSignatureError,
    InvalidTokenError,
    MalformedTokenError,
    SharedSecret,
    StaticJWKS,
    TokenKind,
    UnsupportedTokenError,
    Verifier,
    WrongTokenKindError,
)
from betterauth_jwt.testing import TokenFactory, sign_compact
from tests._support import public_key_encodings

NOW = 1_760_000_000.0
ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256", "HS256"]


@pytest.fixture(params=ALGORITHMS)
def factory(request: pytest.FixtureRequest) -> TokenFactory:
    return TokenFactory(request.param, clock=lambda: NOW)


def test_access_token_round_trip(factory: TokenFactory) -> None:
    identity = factory.verifier().verify(factory.access_token("user_1", role="admin"))
    assert identity.user_id == "user_1"
    assert identity.email == "user_1@example.com"
    assert identity.kind is TokenKind.ACCESS
    assert identity.claims["role"] == "admin"
    assert identity.expires_at.timestamp() == NOW + 900


def test_session_cookie_round_trip(factory: TokenFactory) -> None:
    identity = factory.verifier(TokenKind.SESSION_COOKIE).verify(factory.session_cookie("user_2"))
    assert identity.user_id == "user_2"
    assert identity.session_id is not None
    assert identity.kind is TokenKind.SESSION_COOKIE


def test_each_kind_rejects_the_other(factory: TokenFactory) -> None:
    with pytest.raises(WrongTokenKindError):
        factory.verifier().verify(factory.session_cookie())
    with pytest.raises(WrongTokenKindError):
        factory.verifier(TokenKind.SESSION_COOKIE).verify(factory.access_token())


@pytest.mark.anyio
async def test_averify_matches_verify(factory: TokenFactory) -> None:
    token = factory.access_token()
    assert await factory.verifier().averify(token) == factory.verifier().verify(token)


def test_expiry_is_rechecked_on_cache_hits() -> None:
    now = [NOW]
    factory = TokenFactory("EdDSA", clock=lambda: now[0])
    verifier = factory.verifier()
    token = factory.access_token(expires_in=60)
    assert verifier.verify(token).user_id == "user_1"
    now[0] = NOW + 60
    with pytest.raises(ExpiredTokenError):
        verifier.verify(token)


def test_failures_are_not_cached() -> None:
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    verifier = factory.verifier()
    token = factory.access_token()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(InvalidSignatureError):
            verifier.verify(forged)


def test_access_verifier_requires_issuer_and_audience() -> None:
    keys = StaticJWKS(TokenFactory("EdDSA").jwks)
    with pytest.raises(ConfigurationError, match="issuer"):
        Verifier(keys)


def test_for_better_auth_derives_origin() -> None:
    verifier = Verifier.for_better_auth("https://App.Example.com:443/some/path/", secret="x" * 40)
    assert verifier.issuer == "https://app.example.com"
    assert verifier.audiences == frozenset({"https://app.example.com"})


def test_errors_never_contain_the_token(factory: TokenFactory) -> None:
    token = factory.access_token()
    for bad in (token + "x", token.replace(".", "..", 1), token[:-1]):
        with pytest.raises(InvalidTokenError) as caught:
            factory.verifier().verify(bad)
        for part in bad.split("."):
            if len(part) > 8:
                assert part not in str(caught.value)


# -- configuration is checked at construction ---------------------------------------------------------------------------

ISSUER = "https://app.example.com"


@pytest.fixture(scope="module")
def ed_keys() -> StaticJWKS:
    return StaticJWKS(TokenFactory("EdDSA").jwks)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"algorithms": []}, "must not be empty"),
        ({"algorithms": ()}, "must not be empty"),
        ({"algorithms": ["none"]}, "never 'none'"),
        ({"algorithms": ["EdDSA", "none"]}, "never 'none'"),
        ({"algorithms": ["EdDSA", "HS1"]}, "unsupported algorithms"),
        ({"algorithms": ["ES256"]}, "none of the allowed algorithms"),  # the keys cannot verify it
        ({"algorithms": ["HS256"]}, "none of the allowed algorithms"),  # never HMAC with a public key
        ({"issuer": None}, "issuer"),
        ({"issuer": ""}, "issuer"),
        ({"audience": None}, "audience"),
        ({"audience": ""}, "audience"),
        ({"audience": []}, "audience"),
        ({"audience": [ISSUER, ""]}, "audience"),
        ({"audience": [ISSUER, 1]}, "audience"),
        ({"kind": "access"}, "TokenKind"),
        ({"leeway": -1}, "leeway"),
        ({"leeway": 301}, "leeway"),
        ({"leeway": "5"}, "leeway"),
        ({"max_token_bytes": 10}, "max_token_bytes"),
        ({"max_token_bytes": 10**9}, "max_token_bytes"),
    ],
)
def test_bad_configuration_is_refused_at_construction(
    ed_keys: StaticJWKS, options: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"issuer": ISSUER, "audience": ISSUER, **options}
    with pytest.raises(ConfigurationError, match=message):
        Verifier(ed_keys, **arguments)


def test_keys_must_be_a_key_provider() -> None:
    with pytest.raises(ConfigurationError, match="KeyProvider"):
        Verifier(TokenFactory("EdDSA").jwks, issuer=ISSUER, audience=ISSUER)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="KeyProvider"):
        Verifier("secret" * 10, issuer=ISSUER, audience=ISSUER)  # type: ignore[arg-type]


def test_a_session_cookie_verifier_needs_no_issuer_or_audience(ed_keys: StaticJWKS) -> None:
    assert Verifier(ed_keys, kind=TokenKind.SESSION_COOKIE).kind is TokenKind.SESSION_COOKIE


def test_the_allow_list_narrows_to_what_the_keys_can_verify() -> None:
    keys = StaticJWKS({"keys": TokenFactory("EdDSA").jwks["keys"] + TokenFactory("ES256").jwks["keys"]})
    assert Verifier(keys, issuer=ISSUER, audience=ISSUER).algorithms == {"EdDSA", "ES256"}
    verifier = Verifier(keys, issuer=ISSUER, audience=ISSUER, algorithms=["EdDSA", "HS256", "RS256"])
    assert verifier.algorithms == {"EdDSA"}
    assert Verifier(keys, issuer=ISSUER, audience=ISSUER, algorithms="ES256").algorithms == {"ES256"}


@pytest.mark.parametrize(
    "base_url",
    [
        "",
        "app.example.com",
        "ftp://app.example.com",
        "https://",
        "http://host:notaport",
        "https://[::1",
        "//x",
        "https://a..ü.example",  # an internationalised host that has no punycode form
        None,
        5,
    ],
)
def test_for_better_auth_refuses_a_bad_base_url(base_url: Any) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        Verifier.for_better_auth(base_url, secret="k" * 40)


@pytest.mark.parametrize(
    ("base_url", "origin"),
    [
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://localhost:3000/api/auth", "http://localhost:3000"),
        ("https://app.example.com:8443/x", "https://app.example.com:8443"),
        ("http://app.example.com:80", "http://app.example.com"),
        ("https://user:pw@app.example.com", "https://app.example.com"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("https://Bücher.example/api/auth", "https://xn--bcher-kva.example"),  # as new URL(...).origin gives it
    ],
)
def test_for_better_auth_uses_the_origin_like_better_auth(base_url: str, origin: str) -> None:
    verifier = Verifier.for_better_auth(base_url, secret="k" * 40)
    assert verifier.issuer == origin
    assert verifier.audiences == {origin}


def test_for_better_auth_refuses_the_default_secret() -> None:
    with pytest.raises(ConfigurationError, match="published default"):
        Verifier.for_better_auth("http://localhost:3000", secret="better-auth-secret-12345678901234567890")


# -- algorithm confusion ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "ES512", "RS256", "PS256"])
@pytest.mark.parametrize("hmac_alg", ["HS256", "HS384", "HS512"])
def test_hmac_signed_with_the_public_key_is_refused(alg: str, hmac_alg: str) -> None:
    factory = TokenFactory(alg, clock=lambda: NOW)
    verifiers = [factory.verifier(), factory.verifier(algorithms=[alg, "HS256", "HS384", "HS512"])]
    for name, key_bytes in public_key_encodings(factory).items():
        for header in ({"alg": hmac_alg, "kid": factory.kid}, {"alg": hmac_alg}, {"alg": hmac_alg, "typ": "JWT"}):
            token = sign_compact(header, factory.access_claims(), key_bytes)
            for verifier in verifiers:
                with pytest.raises(UnsupportedTokenError) as caught:
                    verifier.verify(token)
                assert caught.value.code == "unsupported_algorithm", name


def test_a_header_alg_that_disagrees_with_the_key_is_refused() -> None:
    ed, es, rs = TokenFactory("EdDSA", clock=lambda: NOW), TokenFactory("ES256"), TokenFactory("RS256")
    keys = StaticJWKS({"keys": ed.jwks["keys"] + es.jwks["keys"] + rs.jwks["keys"]})
    verifier = Verifier(keys, issuer=ed.issuer, audience=ed.issuer, clock=lambda: NOW)
    claims = ed.access_claims()
    # The kid names the Ed25519 key but the header says ES256 / RS256 (signed by those keys): never accepted.
    for other in (es, rs):
        token = sign_compact({"alg": other.alg, "kid": ed.kid}, claims, other.private_key)
        with pytest.raises(UnsupportedTokenError) as caught:
            verifier.verify(token)
        assert caught.value.code == "algorithm_mismatch"
    # PS256 header against an RS256 key: same key type, still not the key's algorithm.
    token = sign_compact({"alg": "PS256", "kid": rs.kid}, claims, rs.private_key)
    with pytest.raises(UnsupportedTokenError):
        Verifier(keys, issuer=ed.issuer, audience=ed.issuer, clock=lambda: NOW, algorithms=["PS256", "RS256"]).verify(
            token
        )


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused_by_every_verifier(factory: TokenFactory, alg: str) -> None:
    claims = factory.access_claims()
    from betterauth_jwt.testing import b64url

    unsigned = f"{b64url(json.dumps({'alg': alg}).encode())}.{b64url(json.dumps(claims).encode())}"
    for token in (unsigned + ".", unsigned + "." + b64url(b"sig")):
        with pytest.raises(UnsupportedTokenError):
            factory.verifier().verify(token)


@pytest.mark.parametrize("parameter", ["jwk", "jku", "x5u", "x5c"])
def test_keys_offered_in_the_header_are_never_used(parameter: str) -> None:
    honest = TokenFactory("EdDSA", clock=lambda: NOW)
    attacker = TokenFactory("EdDSA", clock=lambda: NOW)
    value: Any = {
        "jwk": attacker.jwks["keys"][0],
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
    }[parameter]
    for kid in (honest.kid, attacker.kid):
        token = sign_compact(
            {"alg": "EdDSA", "kid": kid, parameter: value}, honest.access_claims(), attacker.private_key
        )
        with pytest.raises(UnsupportedTokenError) as caught:
            honest.verifier().verify(token)
        assert caught.value.code == "embedded_key"


def test_unknown_crit_and_b64_are_refused(factory: TokenFactory) -> None:
    for extra in ({"crit": ["exp"], "exp": 1}, {"crit": ["b64"], "b64": False}, {"b64": False}):
        token = factory.sign(factory.access_claims(), factory.header(**extra))
        with pytest.raises(UnsupportedTokenError) as caught:
            factory.verifier().verify(token)
        assert caught.value.code == "unsupported_header"


def test_a_token_over_the_size_cap_is_refused_by_size(factory: TokenFactory) -> None:
    big = factory.access_token(padding="x" * 20_000)
    with pytest.raises(MalformedTokenError) as caught:
        factory.verifier().verify(big)
    assert caught.value.code == "token_too_large"
    assert factory.verifier(max_token_bytes=64 * 1024).verify(big).user_id == "user_1"
    small = factory.access_token()
    with pytest.raises(MalformedTokenError) as caught:
        factory.verifier(max_token_bytes=256).verify(small + "x" * 300)
    assert caught.value.code == "token_too_large"


def test_an_hs256_cookie_with_the_same_secret_is_not_an_access_token() -> None:
    factory = TokenFactory("HS256", clock=lambda: NOW)
    with pytest.raises(WrongTokenKindError):
        factory.verifier().verify(factory.session_cookie())
    # Even dressed with iss/aud/sub, a token shaped like the cookie is refused as an access token when it has no iss.
    claims = factory.session_cookie_claims()
    claims.update(aud=factory.issuer, sub="user_1")
    with pytest.raises(WrongTokenKindError):
        factory.verifier().verify(factory.sign(claims, {"alg": "HS256"}))


# -- error messages are safe to show ------------------------------------------------------------------------------------

FOREIGN_WORDING = (
    "Traceback",
    "Expecting",  # json.JSONDecodeError
    "line 1 column",
    "Incorrect padding",  # binascii
    "Invalid base64",
    "codec can't decode",  # UnicodeDecodeError
    "InvalidSignature",  # cryptography
    "Signature verification failed",  # PyJWT
    "OverflowError",
    "object has no attribute",
    "unhashable",
    "NoneType",
)


def _failures(factory: TokenFactory) -> list[tuple[str, Any]]:
    """(token, verifier) pairs that each fail in a different place."""
    from betterauth_jwt.testing import b64url

    good = factory.access_token()
    header, payload, signature = good.split(".")
    verifier = factory.verifier()
    cookie_verifier = factory.verifier(TokenKind.SESSION_COOKIE)

    duplicate_sub = b64url(b'{"sub":1,"sub":2}')
    alg_none = b64url(b'{"alg":"none"}')
    with_jku = b64url(b'{"alg":"HS256","jku":"https://x"}')

    def raw(claims_json: str) -> str:
        return factory.sign(claims_json.encode())

    cases = [
        good + "x",
        good[:-1],
        good + "=",
        f"{header}.{payload}",
        f"{header}.{payload}.{signature}.{signature}.{signature}",
        f"{header}.{payload}.{signature[:-4]}AAAA",
        f"{header}.{payload[:-3]}.{signature}",
        f"{header}.{duplicate_sub}.{signature}",
        f"{header}.{b64url(b'not json at all, secret-ish')}.{signature}",
        f"{header}.{b64url(bytes(range(256)))}.{signature}",
        f"{alg_none}.{payload}.",
        f"{with_jku}.{payload}.{signature}",
        f"{b64url(b'[1,2]')}.{payload}.{signature}",
        "x" * 20_000,
        "é" + good,
        factory.access_token(expires_in=-10),
        factory.access_token(issued_at=NOW + 3600),
        factory.access_token(iss="https://evil.example"),
        factory.access_token(aud="https://evil.example"),
        factory.access_token(sub=""),
        raw('{"sub":"u","iss":"http://localhost:3000","aud":"http://localhost:3000","iat":1,"exp":' + "9" * 400 + "}"),
        raw('{"sub":"u","iss":"http://localhost:3000","aud":"http://localhost:3000","iat":1,"exp":1e400}'),
        raw('{"sub":"u","iss":"http://localhost:3000","aud":"http://localhost:3000","iat":true,"exp":"soon"}'),
        factory.session_cookie(),
        "aRmqDpiZytrElNf5bd7JfSMPLpYmhcp4.4t4wSruxjDCfz/Vaefb3o/HSPyZ85M3YM56ln2P+ZQM=",
        "a.b.c.d.e",
    ]
    pairs: list[tuple[str, Any]] = [(token, verifier) for token in cases]
    pairs.append((good, cookie_verifier))
    if factory.kid is not None:
        pairs.append((sign_compact({"alg": factory.alg, "kid": "unknown-kid"}, {}, factory.private_key), verifier))
    return pairs


def test_error_messages_never_contain_the_token_a_secret_or_foreign_text(factory: TokenFactory) -> None:
    secret = factory.secret.decode() if factory.secret else None
    seen_codes = set()
    for token, verifier in _failures(factory):
        with pytest.raises(InvalidTokenError) as caught:
            verifier.verify(token)
        error = caught.value
        seen_codes.add(error.code)
        for text in (str(error), error.description, repr(error)):
            assert token not in text
            for segment in token.split("."):
                if len(segment) >= 6:
                    assert segment not in text
            if secret:
                assert secret not in text
                assert secret[:12] not in text
        for wording in FOREIGN_WORDING:
            assert wording not in str(error)
        assert error.__cause__ is None
        assert error.__suppress_context__ or error.__context__ is None
        assert str(error) == error.description  # the code is an attribute, not repeated in the message
    assert len(seen_codes) >= 10  # the cases really fail in many different places


def test_configuration_errors_do_not_echo_secrets() -> None:
    secret = "short-secret-value"
    with pytest.raises(ConfigurationError) as caught:
        SharedSecret(secret)
    assert secret not in str(caught.value)
    with pytest.raises(ConfigurationError) as caught:
        StaticJWKS('{"keys": [{"kty": "oct", "k": "c2VjcmV0LXZhbHVl"}]}')
    assert "c2VjcmV0LXZhbHVl" not in str(caught.value)
    with pytest.raises(ConfigurationError) as caught:
        StaticJWKS('{"keys": [ "c2VjcmV0LXZhbHVl" ')
    assert "c2VjcmV0LXZhbHVl" not in str(caught.value)


def test_for_better_auth_passes_jwks_options_to_remote_jwks() -> None:
    from betterauth_jwt import RemoteJWKS

    with pytest.raises(ConfigurationError, match="https"):
        Verifier.for_better_auth("http://auth.internal:3000")
    verifier = Verifier.for_better_auth(
        "http://auth.internal:3000", jwks_options={"allow_insecure_http": True, "refresh_cooldown": 60}
    )
    assert isinstance(verifier.keys, RemoteJWKS)
    assert verifier.keys.url == "http://auth.internal:3000/api/auth/jwks"
    assert verifier.keys.refresh_cooldown == 60
    with pytest.raises(ConfigurationError, match="either"):
        Verifier.for_better_auth("https://app.example.com", secret="s" * 40, jwks_options={"ttl": 60})
