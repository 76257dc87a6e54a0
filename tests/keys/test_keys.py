"""Key providers (``_keys``): SharedSecret and StaticJWKS, what they refuse at construction, and key selection."""

from __future__ import annotations

import json
import logging

import pytest

from betterauth_jwt import (
    ConfigurationError,
    InvalidSignatureError,
    KeyProvider,
    SharedSecret,
    StaticJWKS,
    TokenKind,
    UnknownKeyError,
    UnsupportedTokenError,
    Verifier,
)
from betterauth_jwt.testing import TokenFactory, generate_private_key, public_jwk

NOW = 1_760_000_000.0
STRONG = "k7Qe2v9Xw3Lr8Zt1Yb5Nc4Md6Pf0Hg2Js7Ua9Vi3Ko5"  # 44 random characters

# -- SharedSecret ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "algorithms"),
    [
        ("", ("HS256",)),
        ("short", ("HS256",)),
        ("x" * 31, ("HS256",)),
        (b"\x00" * 31, ("HS256",)),
        ("x" * 47, ("HS384",)),
        ("x" * 63, ("HS512",)),
        ("x" * 40, ("HS256", "HS512")),  # the strongest algorithm sets the bar
    ],
)
def test_short_secrets_are_refused(secret: str | bytes, algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError, match="at least") as caught:
        SharedSecret(secret, algorithms=algorithms)
    if len(secret) > 3:
        assert str(secret) not in str(caught.value)


@pytest.mark.parametrize(
    "secret",
    [
        "better-auth-secret-12345678901234567890",
        "better-auth-secret-123456789",
        b"better-auth-secret-12345678901234567890",
        " better-auth-secret-12345678901234567890\n",
        "better-auth-secret-123456789\n",
    ],
)
def test_better_auths_published_default_secrets_are_refused(secret: str | bytes) -> None:
    with pytest.raises(ConfigurationError, match="published default secret") as caught:
        SharedSecret(secret)
    assert "better-auth-secret-1234" not in str(caught.value)
    with pytest.raises(ConfigurationError):
        SharedSecret([STRONG, secret])  # an old secret in the rotation list counts too


@pytest.mark.parametrize("secret", [None, 123, ["x" * 40, 5], [], ()])
def test_secrets_must_be_text_or_bytes(secret: object) -> None:
    with pytest.raises(ConfigurationError):
        SharedSecret(secret)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithms", [(), ("RS256",), ("HS256", "none"), ("none",), ("HS256", "EdDSA")])
def test_shared_secret_algorithms_must_be_hmac(algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError, match="HS256, HS384, HS512"):
        SharedSecret(STRONG, algorithms=algorithms)


def test_shared_secret_repr_hides_the_secret() -> None:
    text = repr(SharedSecret([STRONG, STRONG[::-1]]))
    assert STRONG not in text
    assert STRONG[:8] not in text
    assert "2 secret(s)" in text


def test_secret_rotation_accepts_the_old_secret_until_it_is_dropped() -> None:
    old = TokenFactory("HS256", secret=STRONG, clock=lambda: NOW)
    new = TokenFactory("HS256", secret=STRONG[::-1], clock=lambda: NOW)
    rotating = Verifier(
        SharedSecret([new.secret or b"", old.secret or b""]), issuer=old.issuer, audience=old.issuer, clock=lambda: NOW
    )
    assert rotating.verify(old.access_token("u_old")).user_id == "u_old"
    assert rotating.verify(new.access_token("u_new")).user_id == "u_new"
    only_new = Verifier(SharedSecret(new.secret or b""), issuer=old.issuer, audience=old.issuer, clock=lambda: NOW)
    with pytest.raises(InvalidSignatureError):
        only_new.verify(old.access_token())


def test_str_and_bytes_secrets_are_the_same_key() -> None:
    # Better Auth signs with the raw UTF-8 bytes of BETTER_AUTH_SECRET: no derivation, so both spellings match.
    factory = TokenFactory("HS256", secret="ü" * 20, clock=lambda: NOW)  # 40 bytes in UTF-8
    for secret in ("ü" * 20, ("ü" * 20).encode()):
        verifier = Verifier(SharedSecret(secret), issuer=factory.issuer, audience=factory.issuer, clock=lambda: NOW)
        assert verifier.verify(factory.access_token()).user_id == "user_1"


def test_shared_secret_refuses_a_token_alg_it_was_not_given() -> None:
    provider = SharedSecret("x" * 64, algorithms=("HS256", "HS512"))
    assert provider.algorithms == {"HS256", "HS512"}
    assert len(provider.get_keys(None, "HS512")) == 1
    with pytest.raises(UnsupportedTokenError) as caught:
        provider.get_keys(None, "HS384")
    assert caught.value.code == "algorithm_mismatch"


def test_providers_implement_the_protocol() -> None:
    assert isinstance(SharedSecret(STRONG), KeyProvider)
    assert isinstance(StaticJWKS(TokenFactory("EdDSA").jwks), KeyProvider)
    assert SharedSecret(STRONG).generation == StaticJWKS(TokenFactory("EdDSA").jwks).generation == 0


# -- StaticJWKS -------------------------------------------------------------------------------------------------------


def test_static_jwks_accepts_a_dict_json_text_or_bytes() -> None:
    jwks = TokenFactory("ES256").jwks
    for document in (jwks, json.dumps(jwks), json.dumps(jwks).encode()):
        assert sorted(StaticJWKS(document).key_set.by_kid) == [jwks["keys"][0]["kid"]]


@pytest.mark.parametrize("document", ["", "{", '{"keys": [] , "keys": []}', "[]", '{"keys": {}}', b"\xff"])
def test_static_jwks_refuses_what_is_not_a_key_set(document: str | bytes) -> None:
    with pytest.raises(ConfigurationError, match="StaticJWKS"):
        StaticJWKS(document)


def test_static_jwks_with_no_usable_member_lists_the_reasons() -> None:
    small = {"kty": "RSA", "n": "AQAB" * 40, "e": "AQ", "kid": "tiny"}
    members = [{"kty": "oct", "k": "c2VjcmV0", "kid": "sym"}, small, {"kty": "OKP", "crv": "X25519", "x": "AA"}]
    with pytest.raises(ConfigurationError) as caught:
        StaticJWKS({"keys": members})
    message = str(caught.value)
    assert "no usable key" in message
    assert "sym: symmetric" in message
    assert "tiny: RSA modulus is" in message
    assert "#2: OKP curve is not Ed25519" in message
    assert "c2VjcmV0" not in message  # the refused secret is not repeated
    with pytest.raises(ConfigurationError, match="the set is empty"):
        StaticJWKS({"keys": []})


def test_rejected_members_are_logged_and_the_others_still_work(caplog: pytest.LogCaptureFixture) -> None:
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    bad_ec = public_jwk(generate_private_key("ES256"), "ES256", "bad-ec")
    bad_ec["y"] = bad_ec["x"]  # not on the curve
    jwks = {
        "keys": [
            {"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "kid": "sym\nFORGED LOG LINE"},
            bad_ec,
            {**public_jwk(generate_private_key("ES256"), "ES256", "enc"), "use": "enc"},
            {**public_jwk(generate_private_key("ES256"), "ES256", "priv"), "d": "AQAB"},
            *factory.jwks["keys"],
        ]
    }
    with caplog.at_level(logging.WARNING, logger="betterauth_jwt"):
        provider = StaticJWKS(jwks)
    refused = [record.getMessage() for record in caplog.records]
    assert len(refused) == 4
    assert "symmetric" in refused[0]
    assert "\n" not in refused[0]  # the kid is logged with repr(): no forged log lines
    assert "'bad-ec'" in refused[1]
    assert "not on the curve" in refused[1]
    assert "'use'" in refused[2]
    assert "private key material" in refused[3]
    assert all("c2VjcmV0" not in line for line in refused)
    verifier = Verifier(provider, issuer=factory.issuer, audience=factory.issuer, clock=lambda: NOW)
    assert verifier.verify(factory.access_token()).user_id == "user_1"


def test_duplicate_kids_are_refused_and_do_not_verify() -> None:
    factory = TokenFactory("EdDSA", clock=lambda: NOW)
    kid = factory.kid or ""
    impostor = public_jwk(generate_private_key("EdDSA"), "EdDSA", kid)
    other = TokenFactory("EdDSA", clock=lambda: NOW)  # keeps EdDSA allowed, so the outcome is about the kid
    provider = StaticJWKS({"keys": [*factory.jwks["keys"], impostor, *other.jwks["keys"]]})
    assert kid not in provider.key_set.by_kid
    verifier = Verifier(provider, issuer=factory.issuer, audience=factory.issuer, clock=lambda: NOW)
    with pytest.raises(UnknownKeyError):
        verifier.verify(factory.access_token())
    with pytest.raises(ConfigurationError, match="several members share"):
        StaticJWKS({"keys": [*factory.jwks["keys"], impostor]})


def test_static_jwks_algorithms_are_those_of_its_keys() -> None:
    ed, es = TokenFactory("EdDSA"), TokenFactory("ES512")
    provider = StaticJWKS({"keys": ed.jwks["keys"] + es.jwks["keys"]})
    assert provider.algorithms == {"EdDSA", "ES512"}
    assert repr(provider) == f"StaticJWKS(kids={sorted([ed.kid, es.kid])})"


# -- key selection ----------------------------------------------------------------------------------------------------


def test_select_by_kid_and_alg() -> None:
    ed, es = TokenFactory("EdDSA"), TokenFactory("ES256")
    provider = StaticJWKS({"keys": ed.jwks["keys"] + es.jwks["keys"]})
    assert provider.get_keys(ed.kid, "EdDSA")[0].kid == ed.kid
    with pytest.raises(UnknownKeyError):
        provider.get_keys("no-such-kid", "EdDSA")
    # The header alg disagrees with the key that kid names: never fall back to another key.
    with pytest.raises(UnsupportedTokenError) as caught:
        provider.get_keys(ed.kid, "ES256")
    assert caught.value.code == "algorithm_mismatch"


def test_without_kid_only_an_unambiguous_key_is_tried() -> None:
    ed, es = TokenFactory("EdDSA"), TokenFactory("ES256")
    provider = StaticJWKS({"keys": ed.jwks["keys"] + es.jwks["keys"]})
    assert provider.get_keys(None, "ES256")[0].kid == es.kid
    ed.rotate()
    two_ed = StaticJWKS({"keys": ed.jwks["keys"]})
    with pytest.raises(UnknownKeyError):
        two_ed.get_keys(None, "EdDSA")


@pytest.mark.anyio
async def test_async_lookup_matches_sync() -> None:
    factory = TokenFactory("EdDSA")
    provider = StaticJWKS(factory.jwks)
    assert await provider.aget_keys(factory.kid, "EdDSA") == provider.get_keys(factory.kid, "EdDSA")
    secret = SharedSecret(STRONG)
    assert await secret.aget_keys(None, "HS256") == secret.get_keys(None, "HS256")
    with pytest.raises(UnknownKeyError):
        await provider.aget_keys("nope", "EdDSA")


def test_a_session_cookie_verifier_uses_the_same_providers() -> None:
    factory = TokenFactory("HS256", secret=STRONG, clock=lambda: NOW)
    verifier = Verifier(SharedSecret(STRONG), kind=TokenKind.SESSION_COOKIE, clock=lambda: NOW)
    assert verifier.verify(factory.session_cookie("u9")).user_id == "u9"


def _good_and(member: dict[str, object]) -> dict[str, object]:
    return {"keys": [member, *TokenFactory("EdDSA").jwks["keys"]]}


def _bad_members() -> list[tuple[str, dict[str, object], str]]:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from betterauth_jwt.testing import b64url

    def rsa_member(bits: int) -> dict[str, object]:
        n = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key().public_numbers().n
        return {"kty": "RSA", "n": b64url(n.to_bytes(bits // 8, "big")), "e": "AQAB", "alg": "RS256", "kid": "r"}

    ec256 = public_jwk(generate_private_key("ES256"), "ES256", "e")
    p384 = public_jwk(ec.generate_private_key(ec.SECP384R1()), "ES256", "w")
    return [
        ("oct", {"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "alg": "HS256", "kid": "o"}, "symmetric"),
        ("rsa-1024", rsa_member(1024), "1024 bits"),
        ("rsa-e1", {**rsa_member(2048), "e": "AQ"}, "exponent"),
        ("ec-off-curve", {**ec256, "y": ec256["x"]}, "not on the curve"),
        ("wrong-curve", p384, "'alg'"),
        ("use-enc", {**ec256, "use": "enc"}, "'use'"),
        ("key-ops", {**ec256, "key_ops": ["sign"]}, "key_ops"),
        ("private", {**ec256, "d": "AQAB"}, "private key material"),
    ]


BAD_MEMBERS = _bad_members()


@pytest.mark.parametrize(("label", "member", "reason"), BAD_MEMBERS, ids=[case[0] for case in BAD_MEMBERS])
def test_each_refused_member_alone_is_a_configuration_error_and_beside_a_good_key_is_skipped(
    label: str, member: dict[str, object], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        StaticJWKS({"keys": [member]})
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="betterauth_jwt"):
        provider = StaticJWKS(_good_and(member))
    assert len(provider.key_set.keys) == 1
    assert [reason in record.getMessage() for record in caplog.records] == [True]
