"""``betterauth_jwt.mcp`` and ``betterauth_jwt.fastmcp`` on their own (no Better Auth): what the SDK receives for each
token, the outcome hook, the 503 on an outage through the SDKs' real apps, and the configuration they refuse."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from betterauth_jwt import ConfigurationError, OAuthVerifier
from betterauth_jwt.mcp import BetterAuthTokenVerifier, auth_settings
from tests._adapter_support import Recorder, UnavailableKeys, factory
from tests.mcp import servers

pytestmark = pytest.mark.anyio

TOKENS = factory()
RESOURCE = "http://127.0.0.1:8000/mcp"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}


def oauth(**options: Any) -> OAuthVerifier:
    return TOKENS.oauth_verifier(RESOURCE, **options)


async def test_a_valid_token_fills_every_access_token_field() -> None:
    verifier = BetterAuthTokenVerifier(oauth())
    token = TOKENS.oauth_token("user_1", resource=[RESOURCE, "http://localhost:3000/api/auth/oauth2/userinfo"])
    access = await verifier.verify_token(token)
    assert access is not None
    assert (access.token, access.client_id, access.subject, access.resource) == (
        token,
        "mcp_client_1",
        "user_1",
        RESOURCE,  # the aud entry that is this server, so the SDK's validate_token_resource agrees
    )
    assert access.scopes == ["openid", "todos:read"]
    assert access.expires_at == int(TOKENS.clock()) + 3600
    assert access.claims is not None
    assert access.claims["sid"]


async def test_a_refused_token_is_none_with_its_reason_to_the_hook() -> None:
    recorder = Recorder()
    verifier = BetterAuthTokenVerifier(oauth(), on_outcome=recorder)
    assert await verifier.verify_token(TOKENS.access_token("user_1")) is None
    assert await verifier.verify_token(TOKENS.oauth_token(resource="https://other.example/api")) is None
    assert await verifier.verify_token("garbage") is None
    assert await verifier.verify_token(TOKENS.oauth_token(resource=RESOURCE)) is not None
    assert [(o.code, o.status, o.path) for o in recorder.outcomes] == [
        ("wrong_token_kind", 401, "/mcp"),
        ("invalid_audience", 401, "/mcp"),
        ("malformed_token", 401, "/mcp"),
        ("ok", 200, "/mcp"),
    ]


async def test_required_scopes_are_left_to_the_sdk_which_answers_403() -> None:
    recorder = Recorder()
    verifier = BetterAuthTokenVerifier(oauth(required_scopes=["todos:write"]), on_outcome=recorder)
    access = await verifier.verify_token(TOKENS.oauth_token(resource=RESOURCE, scopes=["todos:read"]))
    assert access is not None  # valid: not a 401 (the client would sign in again for nothing)
    assert access.scopes == ["todos:read"]
    assert recorder.codes == ["insufficient_scope"]
    assert auth_settings(oauth(required_scopes=["todos:write"])).required_scopes == ["todos:write"]


def test_auth_settings_agree_with_the_verifier() -> None:
    settings = auth_settings(oauth())
    assert str(settings.issuer_url) == TOKENS.oauth_issuer
    assert str(settings.resource_server_url) == RESOURCE
    assert settings.validate_token_resource is True
    assert settings.required_scopes is None  # not []: the SDK's client would ask for no scope at all
    assert auth_settings(oauth(), required_scopes="todos:read todos:write").required_scopes == [
        "todos:read",
        "todos:write",
    ]
    with pytest.raises(ConfigurationError, match="not the verifier's resource"):
        auth_settings(oauth(), resource_server_url="http://127.0.0.1:8000/other")
    with pytest.raises(ConfigurationError):
        BetterAuthTokenVerifier(TOKENS.verifier())  # type: ignore[arg-type]


def outage_verifier() -> OAuthVerifier:
    return OAuthVerifier(UnavailableKeys(), issuer=TOKENS.oauth_issuer, resource=RESOURCE, clock=TOKENS.clock)


@pytest.mark.parametrize("face", ["sdk", "fastmcp"])
def test_keys_unavailable_is_a_503_with_retry_after_not_a_401(face: str) -> None:
    if face == "fastmcp":
        pytest.importorskip("fastmcp", reason="fastmcp is tested with mcp 2.x (the main environment)")
    sock = servers.free_socket()
    server = servers.Uvicorn(sock)
    verifier = outage_verifier()
    try:
        app = servers.sdk_app(verifier) if face == "sdk" else servers.fastmcp_app(verifier, "http://127.0.0.1:8000")
        server.start(app)
        response = httpx.post(
            f"{server.base_url}/mcp",
            json=INITIALIZE,
            headers={
                "Authorization": f"Bearer {TOKENS.oauth_token(resource=RESOURCE)}",
                "Accept": "application/json, text/event-stream",
                "Host": "127.0.0.1:8000",
            },
        )
    finally:
        server.stop()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "13"
    assert response.json() == {
        "detail": "authentication is temporarily unavailable, retry later",
        "code": "keys_unavailable",
    }


def test_fastmcp_refuses_a_server_url_that_is_not_the_resource() -> None:
    pytest.importorskip("fastmcp", reason="fastmcp is tested with mcp 2.x (the main environment)")
    with pytest.raises(ConfigurationError, match="accepts tokens for"):
        servers.fastmcp_app(oauth(), "http://127.0.0.1:9999")


@pytest.mark.parametrize("face", ["sdk", "fastmcp"])
async def test_a_bare_origin_issuer_is_published_exactly(face: str) -> None:
    """With ``jwt({ jwt: { issuer: origin } })`` the issuer is the bare origin; clients compare it exactly (RFC 8414
    section 3.3, RFC 9207), so the metadata must not add a trailing slash."""
    if face == "fastmcp":
        pytest.importorskip("fastmcp", reason="fastmcp is tested with mcp 2.x (the main environment)")
    elif servers.mcp_major() == 1:
        pytest.skip("mcp 1.x renders a path-less AuthSettings.issuer_url with a trailing slash (fixed in 2.x)")
    verifier = oauth(issuer=TOKENS.issuer)  # http://localhost:3000
    app = servers.sdk_app(verifier) if face == "sdk" else servers.fastmcp_app(verifier, "http://127.0.0.1:8000")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1:8000") as http:
        document = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
    assert document["authorization_servers"] == ["http://localhost:3000"]
    assert document["resource"] == RESOURCE


async def test_a_tool_gets_the_grant_behind_the_access_token() -> None:
    verifier = BetterAuthTokenVerifier(oauth())
    access = await verifier.verify_token(TOKENS.machine_token(resource=RESOURCE))
    assert access is not None
    grant = await verifier.grant(access)
    assert grant.is_machine
    assert grant.user_id is None
    assert grant.client_id == access.client_id
    if servers.mcp_major() == 2:
        from betterauth_jwt.fastmcp import BetterAuthProvider

        provider = BetterAuthProvider(oauth(), base_url="http://127.0.0.1:8000")
        fastmcp_access = await provider.verify_token(TOKENS.oauth_token("user_9", resource=RESOURCE))
        assert fastmcp_access is not None
        assert (await provider.grant(fastmcp_access)).user_id == "user_9"


def test_the_sdk_always_requires_at_least_the_verifiers_scopes() -> None:
    """The seam leaves the verifier's required scopes to the SDK: asking the SDK for fewer must not drop them."""
    verifier = oauth(required_scopes=["todos:read"])
    assert auth_settings(verifier, required_scopes=[]).required_scopes == ["todos:read"]
    assert auth_settings(verifier, required_scopes=["todos:write"]).required_scopes == ["todos:read", "todos:write"]
    if servers.mcp_major() == 2:
        from betterauth_jwt.fastmcp import BetterAuthProvider

        assert BetterAuthProvider(verifier, base_url="http://127.0.0.1:8000", required_scopes=[]).required_scopes == [
            "todos:read"
        ]
