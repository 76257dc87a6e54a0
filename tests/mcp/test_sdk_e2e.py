"""End to end with the ``mcp`` SDK on both sides: its server with ``BetterAuthTokenVerifier`` and ``auth_settings``, its
client with ``OAuthClientProvider``, and a real Better Auth OAuth provider (``@better-auth/mcp``) in between."""

from __future__ import annotations

import anyio
import pytest

from tests.mcp.clients import McpUser, call_with_token
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


async def test_the_sdk_client_signs_in_behind_better_auth_middleware(sdk_middleware_deployment: Deployment) -> None:
    """``BetterAuthMiddleware`` in front of the SDK's server answers the 401s and serves the metadata itself (with the
    exact RFC 6750 headers); the SDK's client goes through the same discovery and sign-in."""
    provider = sdk_middleware_deployment.user("carol@example.test")
    carol = McpUser(provider, sdk_middleware_deployment.mcp_url)
    assert (await carol.call("whoami"))["subject"] == provider.user["id"]
