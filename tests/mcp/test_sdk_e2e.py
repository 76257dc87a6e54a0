"""End to end with the ``mcp`` SDK on both sides: its server with ``BetterAuthTokenVerifier``, its client with
``OAuthClientProvider``, and a real Better Auth OAuth provider in between."""

from __future__ import annotations

import pytest

from tests.mcp.clients import McpUser
from tests.mcp.conftest import Deployment

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.anyio]


async def test_two_users_each_see_their_own_subject(sdk_deployment: Deployment) -> None:
    alice_provider = sdk_deployment.user("alice@example.test")
    bob_provider = sdk_deployment.user("bob@example.test")
    alice = McpUser(alice_provider, sdk_deployment.mcp_url)
    bob = McpUser(bob_provider, sdk_deployment.mcp_url)

    is_error, answer = await alice.call("whoami")
    assert not is_error, answer
    assert answer["subject"] == alice_provider.user["id"]
    is_error, answer = await bob.call("whoami")
    assert not is_error, answer
    assert answer["subject"] == bob_provider.user["id"]
    assert alice_provider.user["id"] != bob_provider.user["id"]
