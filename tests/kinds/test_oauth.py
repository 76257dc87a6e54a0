"""OAuth access tokens (``_kinds/oauth.py``): every rule of ``OAuthProfile``, the ``AccessGrant`` it builds, and
``OAuthVerifier``'s construction (``required_scopes``, ``for_better_auth`` defaults against a real JWKS endpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from betterauth_jwt import (
    AccessGrant,
    ConfigurationError,
    InsufficientScopeError,
    InvalidTokenError,
    OAuthVerifier,
    SenderConstrainedTokenError,
    WrongTokenKindError,
)
from betterauth_jwt.testing import JWKSServer, TokenFactory

NOW = 1_760_000_000.0
RESOURCE = "https://api.example.com/mcp"
ISSUER = "http://localhost:3000/api/auth"


@pytest.fixture(scope="module")
def factory() -> TokenFactory:
    return TokenFactory(clock=lambda: NOW)


@pytest.fixture
def verifier(factory: TokenFactory) -> OAuthVerifier:
    return factory.oauth_verifier(RESOURCE)


def token(factory: TokenFactory, header: dict[str, Any] | None = None, **changes: Any) -> str:
    """A user's OAuth token for RESOURCE with ``changes`` applied to its claims (``None`` removes a claim)."""
    claims = factory.oauth_claims("user_1", resource=RESOURCE, scopes=("todos:read", "todos:write"))
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return factory.sign(claims, header if header is not None else factory.header(typ="at+jwt"))


def code(verifier: OAuthVerifier, value: str) -> str:
    try:
        verifier.verify(value)
    except (InvalidTokenError, InsufficientScopeError) as exc:
        return exc.code
    return "accepted"


# -- AccessGrant -----------------------------------------------------------------------------------------------------


def test_a_user_grant(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    grant = verifier.verify(token(factory, jti="token-1", sid="session-1"))
    assert isinstance(grant, AccessGrant)
    assert grant.subject == "user_1"
    assert grant.user_id == "user_1"
    assert not grant.is_machine
    assert grant.client_id == "mcp_client_1"
    assert grant.scopes == frozenset({"todos:read", "todos:write"})
    assert grant.audience == (RESOURCE,)
    assert grant.issuer == ISSUER
    assert grant.session_id == "session-1"
    assert grant.jwt_id == "token-1"
    assert grant.issued_at == datetime.fromtimestamp(NOW, UTC)
    assert grant.expires_at == datetime.fromtimestamp(NOW + 3600, UTC)


def test_a_machine_grant(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    grant = verifier.verify(factory.machine_token("robot", resource=RESOURCE))
    assert grant.is_machine
    assert grant.user_id is None
    assert grant.subject == grant.client_id == "robot"
    assert grant.session_id is None


def test_a_session_makes_a_user_even_when_sub_is_the_client_id(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    # Better Auth's machine tokens have sub = client_id and no sid; a sid means a user signed in.
    grant = verifier.verify(token(factory, sub="mcp_client_1", sid="session-1"))
    assert not grant.is_machine
    assert grant.user_id == "mcp_client_1"


def test_scopes_required_per_route(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    grant = verifier.verify(token(factory))
    assert grant.has_scopes()
    assert grant.has_scopes("todos:read")
    assert grant.has_scopes("todos:read", "todos:write")
    assert not grant.has_scopes("todos:read", "admin")
    grant.require_scopes("todos:write")
    grant.require_scopes()
    with pytest.raises(InsufficientScopeError) as raised:
        grant.require_scopes("todos:read", "admin", "billing")
    assert raised.value.code == "insufficient_scope"
    assert raised.value.missing_scopes == frozenset({"admin", "billing"})
    assert "admin billing" in raised.value.description


def test_the_grant_is_a_starlette_user(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    from starlette.authentication import BaseUser

    grant = verifier.verify(token(factory))
    assert grant.is_authenticated is True
    assert grant.display_name == "user_1"
    assert grant.identity == "user_1"
    for name in ("is_authenticated", "display_name", "identity"):
        assert isinstance(getattr(type(grant), name), property)
        assert hasattr(BaseUser, name)


def test_claims_are_every_claim_read_only(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    grant = verifier.verify(token(factory, custom={"tier": "pro"}))
    assert grant.claims["custom"] == {"tier": "pro"}
    assert grant.claims["scope"] == "todos:read todos:write"
    assert set(grant.claims) >= {"sub", "aud", "client_id", "azp", "scope", "sid", "iss", "iat", "exp", "jti"}
    with pytest.raises(TypeError):
        grant.claims["sub"] = "someone else"  # type: ignore[index]
    with pytest.raises(TypeError):
        grant.claims["custom"]["tier"] = "free"
    with pytest.raises(AttributeError):
        grant.subject = "someone else"  # type: ignore[misc]


def test_grants_compare_by_value_not_claims(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    value = token(factory)
    assert verifier.verify(value) == factory.oauth_verifier(RESOURCE).verify(value)
    assert "claims" not in repr(verifier.verify(value))


# -- OAuthProfile: each rule -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+JWT"])
def test_rfc9068_typ_variants_are_accepted(factory: TokenFactory, verifier: OAuthVerifier, typ: str) -> None:
    assert code(verifier, token(factory, factory.header(typ=typ))) == "accepted"


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+jwt ", "at_jwt", "dpop+jwt", "better-auth.session-cache+jwt"])
def test_other_typs_are_another_kind(factory: TokenFactory, verifier: OAuthVerifier, typ: str | None) -> None:
    header = factory.header(typ=typ) if typ is not None else factory.header()
    with pytest.raises(WrongTokenKindError):
        verifier.verify(token(factory, header))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"iss": "http://localhost:3000"}, "invalid_issuer"),
        ({"iss": ISSUER + "/"}, "invalid_issuer"),
        ({"iss": None}, "missing_claim"),
        ({"aud": "https://other.example.com/api"}, "invalid_audience"),
        ({"aud": RESOURCE + "/"}, "invalid_audience"),
        ({"aud": ["https://other.example.com/api"]}, "invalid_audience"),
        ({"aud": []}, "invalid_audience"),
        ({"aud": [RESOURCE, 7]}, "invalid_audience"),
        ({"aud": None}, "missing_claim"),
        ({"sub": None}, "missing_claim"),
        ({"sub": ""}, "missing_claim"),
        ({"sub": 42}, "missing_claim"),
        ({"client_id": None}, "missing_claim"),
        ({"client_id": ""}, "missing_claim"),
        ({"client_id": ["mcp_client_1"]}, "missing_claim"),
        ({"azp": "another_client"}, "invalid_claim"),
        ({"azp": None, "client_id": "mcp_client_1"}, "accepted"),  # azp is optional
        ({"exp": NOW}, "token_expired"),
        ({"exp": NOW - 1}, "token_expired"),
        ({"exp": None}, "missing_claim"),
        ({"iat": None}, "missing_claim"),
        ({"iat": NOW + 10}, "token_not_yet_valid"),
        ({"nbf": NOW + 10}, "token_not_yet_valid"),
        ({"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}, "sender_constrained_token"),
        ({"cnf": {"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}}, "sender_constrained_token"),
        ({"scope": "todos:read  todos:write"}, "invalid_claim"),
        ({"scope": ["todos:read"]}, "invalid_claim"),
        ({"scope": None}, "accepted"),
        ({"aud": [RESOURCE, "http://localhost:3000/api/auth/oauth2/userinfo"]}, "accepted"),
        ({"aud": ["https://other.example.com/api", RESOURCE]}, "accepted"),
    ],
)
def test_claim_rules(factory: TokenFactory, verifier: OAuthVerifier, changes: dict[str, Any], expected: str) -> None:
    assert code(verifier, token(factory, **changes)) == expected


def test_cnf_is_refused_before_anything_else(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    bound = token(factory, cnf={"jkt": "x"}, aud="https://other.example.com/api", exp=NOW - 1)
    with pytest.raises(SenderConstrainedTokenError, match="DPoP proof"):
        verifier.verify(bound)


def test_leeway_applies_to_exp(factory: TokenFactory) -> None:
    lenient = factory.oauth_verifier(RESOURCE, leeway=30)
    assert code(lenient, token(factory, exp=NOW - 29)) == "accepted"
    assert code(lenient, token(factory, exp=NOW - 30)) == "token_expired"


def test_required_scopes_are_a_403_and_not_cached(factory: TokenFactory) -> None:
    strict = factory.oauth_verifier(RESOURCE, required_scopes=("todos:read", "admin"))
    value = token(factory)
    for _ in range(2):
        with pytest.raises(InsufficientScopeError) as raised:
            strict.verify(value)
        assert raised.value.missing_scopes == frozenset({"admin"})
    assert strict.stats == {"cache_hits": 0, "cache_misses": 2}


def test_valid_tokens_are_cached(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    value = token(factory)
    assert verifier.verify(value) is verifier.verify(value)
    assert verifier.stats == {"cache_hits": 1, "cache_misses": 1}


def test_first_party_kinds_are_refused(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    for other in (factory.access_token(), factory.session_cookie(), factory.id_token(client_id=RESOURCE)):
        with pytest.raises(WrongTokenKindError):
            verifier.verify(other)


def test_opaque_tokens_say_what_to_do(verifier: OAuthVerifier) -> None:
    with pytest.raises(InvalidTokenError) as raised:
        verifier.verify("pXpOpLuCrCeSHEnXiHxRTsBhqlMGGoBh")
    assert raised.value.code == "opaque_token"
    assert "resource=" in raised.value.description
    assert "introspection" in raised.value.description


@pytest.mark.anyio
async def test_averify_agrees(factory: TokenFactory, verifier: OAuthVerifier) -> None:
    value = token(factory)
    assert await verifier.averify(value) == factory.oauth_verifier(RESOURCE).verify(value)


# -- construction ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("required", "expected"),
    [
        ((), frozenset()),
        ("", frozenset()),
        ("todos:read", {"todos:read"}),
        ("todos:read todos:write", {"todos:read", "todos:write"}),
        (["todos:read", "todos:write", "todos:read"], {"todos:read", "todos:write"}),
        (frozenset({"a", "b"}), {"a", "b"}),
    ],
)
def test_required_scopes(factory: TokenFactory, required: Any, expected: Any) -> None:
    assert factory.oauth_verifier(RESOURCE, required_scopes=required).required_scopes == frozenset(expected)


@pytest.mark.parametrize(
    "required",
    [
        "todos:read  todos:write",
        " todos:read",
        "todos:read ",
        ["todos:read todos:write"],
        [""],
        ['"todos"'],
        ["to\\dos"],
        ["todos\n"],
        ["tödos"],
        [1],
        None,
        42,
    ],
)
def test_bad_required_scopes_fail_at_construction(factory: TokenFactory, required: Any) -> None:
    with pytest.raises(ConfigurationError, match="required_scopes"):
        factory.oauth_verifier(RESOURCE, required_scopes=required)


@pytest.mark.parametrize(("option", "value"), [("issuer", ""), ("issuer", None), ("resource", ""), ("resource", 7)])
def test_issuer_and_resource_are_required(factory: TokenFactory, option: str, value: Any) -> None:
    options = {"issuer": ISSUER, "resource": RESOURCE, option: value}
    with pytest.raises(ConfigurationError, match=option):
        OAuthVerifier(factory.key_provider(), **options)


def test_leeway_is_bounded(factory: TokenFactory) -> None:
    with pytest.raises(ConfigurationError, match="leeway"):
        factory.oauth_verifier(RESOURCE, leeway=301)


def test_repr_names_the_configuration(verifier: OAuthVerifier) -> None:
    assert repr(verifier).startswith("OAuthVerifier(StaticJWKS")
    assert f"issuer={ISSUER!r}, resource={RESOURCE!r}" in repr(verifier)


# -- for_better_auth, against a real JWKS endpoint -------------------------------------------------------------------


@pytest.fixture
def jwks_server(factory: TokenFactory) -> Iterator[JWKSServer]:
    with JWKSServer(factory) as server:
        yield server


def test_for_better_auth_defaults(factory: TokenFactory, jwks_server: JWKSServer) -> None:
    base = jwks_server.base_url
    verifier = OAuthVerifier.for_better_auth(base + "/", resource=RESOURCE, clock=lambda: NOW)
    assert verifier.issuer == base + "/api/auth"
    assert verifier.resource == RESOURCE
    assert verifier.required_scopes == frozenset()
    assert verifier.keys.url == base + "/api/auth/jwks"  # type: ignore[attr-defined]
    grant = verifier.verify(token(factory, iss=base + "/api/auth"))
    assert grant.user_id == "user_1"
    assert jwks_server.hits == 1
    # The first-party issuer (the origin) is another issuer for the OAuth provider's default configuration.
    assert code(verifier, token(factory, iss=base)) == "invalid_issuer"


def test_for_better_auth_explicit_issuer_and_scopes(factory: TokenFactory, jwks_server: JWKSServer) -> None:
    base = jwks_server.base_url
    verifier = OAuthVerifier.for_better_auth(
        base, resource=RESOURCE, issuer=base, required_scopes=("todos:read",), clock=lambda: NOW
    )
    assert verifier.issuer == base
    assert verifier.verify(token(factory, iss=base)).scopes >= {"todos:read"}
    assert code(verifier, token(factory, iss=base + "/api/auth")) == "invalid_issuer"


def test_for_better_auth_jwks_url_and_options(factory: TokenFactory) -> None:
    with JWKSServer(factory, path="/keys.json") as server:
        verifier = OAuthVerifier.for_better_auth(
            "https://auth.example.com",
            resource=RESOURCE,
            jwks_url=server.base_url + "/keys.json",
            jwks_options={"ttl": 120},
            clock=lambda: NOW,
        )
        assert verifier.issuer == "https://auth.example.com/api/auth"
        assert verifier.keys.ttl == 120  # type: ignore[attr-defined]
        assert verifier.verify(token(factory, iss="https://auth.example.com/api/auth")).client_id == "mcp_client_1"


@pytest.mark.anyio
async def test_for_better_auth_averify(factory: TokenFactory, jwks_server: JWKSServer) -> None:
    base = jwks_server.base_url
    verifier = OAuthVerifier.for_better_auth(base, resource=RESOURCE, clock=lambda: NOW)
    grant = await verifier.averify(factory.machine_token(resource=RESOURCE, issuer=base + "/api/auth"))
    assert grant.is_machine


def test_for_better_auth_refuses_plain_http_jwks_off_loopback() -> None:
    with pytest.raises(ConfigurationError, match="https"):
        OAuthVerifier.for_better_auth("http://auth.example.com", resource=RESOURCE)
