"""The CLI and OAuth tokens: ``inspect`` names what Better Auth's OAuth provider issues (real recorded tokens), and
``verify --oauth --resource URL`` verifies them with ``OAuthVerifier`` against a real JWKS endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from betterauth_jwt._cli.main import EXIT_OK, EXIT_REJECTED, EXIT_USAGE
from betterauth_jwt.testing import JWKSServer, TokenFactory
from tests.cli.test_cli import assert_no_token, cli

OAUTH_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oauth"
NOW = 1_800_000_000.0
RESOURCE = "https://api.example.com/mcp"


def recorded(config: str) -> dict[str, Any]:
    return json.loads((OAUTH_FIXTURES / f"{config}.json").read_text())  # type: ignore[no-any-return]


# -- inspect: real tokens --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("access_token", "oauth_access_token"),
        ("refreshed_access_token", "oauth_access_token"),
        ("single_audience_access_token", "oauth_access_token"),
        ("dpop_access_token", "oauth_access_token"),
        ("machine_access_token", "oauth_machine_token"),
        ("dpop_machine_access_token", "oauth_machine_token"),
        ("id_token", "id_token"),
        ("first_party_token", "access_token"),
    ],
)
@pytest.mark.parametrize("config", ["default", "issuer-origin"])
def test_inspect_names_real_oauth_tokens(config: str, name: str, kind: str) -> None:
    data = recorded(config)
    result = cli("inspect", data[name], "--json", now=data["now"])
    assert result.code == EXIT_OK, result.stdout
    report = result.json
    assert report["kind"] == kind
    assert report["verified"] is False
    assert_no_token(result, data[name])
    if kind.startswith("oauth"):
        hint = report["hint"]
        assert hint.startswith("betterauth-jwt verify - --oauth --resource ")
        assert f"--base-url {data['base_url']}" in hint
        assert ("--issuer" in hint) is (config == "issuer-origin")
    if name.startswith("dpop"):
        assert any("DPoP" in note for note in report["notes"])
    if kind == "id_token":
        assert report["hint"] is None
        assert any("never id_tokens" in note for note in report["notes"])


def test_inspect_text_of_a_machine_token() -> None:
    data = recorded("default")
    result = cli("inspect", data["machine_access_token"], now=data["now"])
    assert result.code == EXIT_OK
    assert result.stdout.startswith("UNVERIFIED")
    assert "client_credentials, no user" in result.stdout
    assert "typ at+jwt" in result.stdout
    assert "hint: betterauth-jwt verify - --oauth --resource https://api.example.test/mcp" in result.stdout


def test_inspect_an_oauth_token_without_typ() -> None:
    factory = TokenFactory(clock=lambda: NOW)
    token = factory.sign(factory.oauth_claims(resource=RESOURCE), factory.header())
    assert cli("inspect", token, "--json", now=NOW).json["kind"] == "oauth_client_token"


# -- verify --oauth against a real JWKS endpoint ---------------------------------------------------------------------


@pytest.fixture
def factory() -> TokenFactory:
    return TokenFactory()  # the real clock: the command verifies with it


@pytest.fixture
def server(factory: TokenFactory) -> Iterator[JWKSServer]:
    with JWKSServer(factory) as running:
        factory.issuer = running.base_url
        yield running


def oauth(token: str, server: JWKSServer, *extra: str) -> Any:
    return cli("verify", token, "--oauth", "--resource", RESOURCE, "--base-url", server.base_url, *extra)


def test_verify_oauth_user_token(factory: TokenFactory, server: JWKSServer) -> None:
    token = factory.oauth_token("user_7", resource=RESOURCE, scopes=("todos:read", "todos:write"))
    result = oauth(token, server)
    assert result.code == EXIT_OK, result.stdout
    assert result.stdout.startswith("VALID OAuth access token")
    assert "user_id:        user_7" in result.stdout
    assert "client_id:      mcp_client_1" in result.stdout
    assert "scopes:         todos:read todos:write" in result.stdout
    assert_no_token(result, token)
    report = oauth(token, server, "--json").json
    assert report["valid"] is True
    grant = report["grant"]
    assert grant["user_id"] == "user_7"
    assert grant["machine"] is False
    assert grant["scopes"] == ["todos:read", "todos:write"]
    assert grant["audience"] == [RESOURCE]
    assert grant["issuer"] == server.base_url + "/api/auth"


def test_verify_oauth_machine_token(factory: TokenFactory, server: JWKSServer) -> None:
    report = oauth(factory.machine_token("robot", resource=RESOURCE), server, "--json").json
    assert report["grant"]["machine"] is True
    assert report["grant"]["user_id"] is None
    assert report["grant"]["client_id"] == "robot"


@pytest.mark.parametrize(
    ("make", "extra", "code"),
    [
        (lambda f: f.oauth_token(resource="https://other.example.com/api"), (), "invalid_audience"),
        (lambda f: f.oauth_token(resource=RESOURCE, dpop_jkt="abc"), (), "sender_constrained_token"),
        (lambda f: f.access_token(), (), "wrong_token_kind"),
        (lambda f: f.id_token(client_id=RESOURCE), (), "wrong_token_kind"),
        (lambda f: f.oauth_token(resource=RESOURCE, issuer=f.issuer), (), "invalid_issuer"),
        (lambda f: f.oauth_token(resource=RESOURCE), ("--scope", "todos:write"), "insufficient_scope"),
        (lambda f: "pXpOpLuCrCeSHEnXiHxRTsBhqlMGGoBh", (), "opaque_token"),
    ],
)
def test_verify_oauth_rejections(
    factory: TokenFactory, server: JWKSServer, make: Any, extra: tuple[str, ...], code: str
) -> None:
    token = make(factory)
    result = oauth(token, server, *extra, "--json")
    assert result.code == EXIT_REJECTED, result.stdout
    assert result.json["code"] == code
    assert_no_token(result, token)


def test_verify_oauth_with_the_origin_as_issuer(factory: TokenFactory, server: JWKSServer) -> None:
    token = factory.oauth_token(resource=RESOURCE, issuer=server.base_url)
    assert oauth(token, server, "--issuer", server.base_url).code == EXIT_OK
    assert oauth(token, server).code == EXIT_REJECTED


def test_verify_oauth_with_jwks_and_issuer(factory: TokenFactory, server: JWKSServer) -> None:
    token = factory.oauth_token(resource=RESOURCE)
    argv = ("--oauth", "--resource", RESOURCE, "--jwks", server.url, "--issuer", server.base_url + "/api/auth")
    assert cli("verify", token, *argv).code == EXIT_OK


def test_a_first_party_token_under_oauth_says_what_it_looks_like(factory: TokenFactory, server: JWKSServer) -> None:
    result = oauth(factory.access_token(), server)
    assert "the token looks like: access token" in result.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--oauth", "--base-url", "https://auth.example.com"), "--resource"),
        (("--oauth", "--resource", RESOURCE), "--base-url"),
        (("--oauth", "--resource", RESOURCE, "--jwks", "https://auth.example.com/jwks"), "--issuer"),
        (("--oauth", "--resource", RESOURCE, "--base-url", "https://a.example", "--secret-env", "S"), "JWKS"),
        (("--oauth", "--resource", RESOURCE, "--base-url", "https://a.example", "--kind", "session-cookie"), "--kind"),
        (("--oauth", "--resource", RESOURCE, "--base-url", "https://a.example", "--audience", "x"), "--audience"),
        (("--oauth", "--resource", RESOURCE, "--base-url", "https://a.example", "--scope", 'a"b'), "required_scopes"),
        (("--resource", RESOURCE, "--base-url", "https://auth.example.com"), "--oauth"),
        (("--scope", "todos:read", "--base-url", "https://auth.example.com"), "--oauth"),
        (("--oauth", "--resource", RESOURCE, "--base-url", "http://auth.example.com"), "https"),
    ],
)
def test_verify_oauth_usage_errors(argv: tuple[str, ...], message: str) -> None:
    result = cli("verify", "a.b.c", *argv, environ={"S": "x" * 40})
    assert result.code == EXIT_USAGE
    assert message in result.stderr
