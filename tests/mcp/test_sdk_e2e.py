"""End to end with the ``mcp`` SDK on both sides: its server with ``BetterAuthTokenVerifier`` and ``auth_settings``, its
client with ``OAuthClientProvider``, and a real Better Auth OAuth provider (``@better-auth/mcp``) in between."""

from __future__ import annotations

import anyio
import httpx
import pytest

from tests.mcp.clients import McpUser, call_with_token, post_initialize
from tests.mcp.conftest import Deployment

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.anyio]


async def test_two_users_sign_in_with_the_sdk_client_and_see_their_own_subject(sdk_deployment: Deployment) -> None:
    alice_provider = sdk_deployment.user("alice@example.test")
    bob_provider = sdk_deployment.user("bob@example.test")
    alice = McpUser(alice_provider, sdk_deployment.mcp_url)
    bob = McpUser(bob_provider, sdk_deployment.mcp_url)

    assert (await alice.call("whoami"))["subject"] == alice_provider.user["id"]
    assert (await bob.call("whoami"))["subject"] == bob_provider.user["id"]
    assert alice_provider.user["id"] != bob_provider.user["id"]
    # The client discovered Better Auth from this server's metadata, asked for the resource, and what the metadata
    # names (the required todos:read), and the iss of the redirect matched (RFC 9207; the SDK checks it).
    url = alice.browser.authorization_urls[0]
    assert url.startswith(sdk_deployment.auth.api_url + "/oauth2/authorize?")
    assert "resource=" in url
    assert alice.browser.redirects[0]["iss"] == sdk_deployment.auth.issuer
    # Its token is for this server, with the consented scopes; a tool that needs todos:write refuses it.
    answer = await alice.call("add_todo", {"title": "milk"})
    assert "todos:write" in answer["error"]


async def test_a_token_with_the_write_scope_reaches_the_write_tool(sdk_deployment: Deployment) -> None:
    provider = sdk_deployment.user("writer@example.test")
    token = await anyio.to_thread.run_sync(sdk_deployment.token, provider, "todos:read todos:write")
    answer = await call_with_token(sdk_deployment.mcp_url, token, "add_todo", {"title": "milk"})
    assert answer == {
        "added": "milk",
        "subject": provider.user["id"],
        "client_id": answer["client_id"],
        "scopes": ["todos:read", "todos:write"],
    }


def metadata_challenge(deployment: Deployment) -> str:
    return f'resource_metadata="{deployment.mcp.base_url}/.well-known/oauth-protected-resource/mcp"'


def test_no_token_is_a_401_pointing_at_the_metadata(sdk_deployment: Deployment) -> None:
    response = post_initialize(sdk_deployment.mcp_url, None)
    assert response.status_code == 401
    assert metadata_challenge(sdk_deployment) in response.headers["www-authenticate"]
    # The SDK serves the metadata (from auth_settings): Better Auth's issuer, this resource, the required scope.
    document = httpx.get(f"{sdk_deployment.mcp.base_url}/.well-known/oauth-protected-resource/mcp").json()
    assert document["resource"] == sdk_deployment.mcp_url
    assert document["authorization_servers"] == [sdk_deployment.auth.issuer]
    assert document["scopes_supported"] == ["todos:read"]


@pytest.mark.parametrize("case", ["other_resource", "first_party", "dpop_bound", "expired", "garbage"])
def test_refused_tokens_are_401_invalid_token(sdk_deployment: Deployment, case: str) -> None:
    provider = sdk_deployment.user(f"{case.replace('_', '-')}@example.test")
    if case == "other_resource":
        token = sdk_deployment.token(provider, "todos:read", resource=sdk_deployment.other_resource)
    elif case == "first_party":
        token = provider.first_party_token()  # /api/auth/token: signed by the same keys, another kind
    elif case == "dpop_bound":
        token = sdk_deployment.token(provider, "todos:read", dpop=True)
    elif case == "expired":
        token = sdk_deployment.token(provider, "todos:read")
        assert post_initialize(sdk_deployment.mcp_url, token).status_code == 200
        sdk_deployment.clock.offset = 3601  # Better Auth's access tokens live an hour
    else:
        token = "not.a.token"
    try:
        response = post_initialize(sdk_deployment.mcp_url, token)
    finally:
        sdk_deployment.clock.offset = 0
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge
    assert metadata_challenge(sdk_deployment) in challenge


def test_a_token_without_the_required_scope_is_a_403(sdk_deployment: Deployment) -> None:
    provider = sdk_deployment.user("no-scope@example.test")
    token = sdk_deployment.token(provider, "openid profile")
    response = post_initialize(sdk_deployment.mcp_url, token)
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
