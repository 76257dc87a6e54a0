"""End to end with fastmcp on both sides: ``FastMCP(auth=BetterAuthProvider(...))`` and fastmcp's ``Client`` with its
``OAuth`` helper (whose browser and callback server are replaced by the harness's signed-in browser), against a real
Better Auth OAuth provider."""

from __future__ import annotations

import warnings
from typing import Any

import anyio
import pytest

pytest.importorskip("fastmcp", reason="fastmcp is tested with mcp 2.x (the main environment)")

from fastmcp import Client
from fastmcp.client.auth import OAuth
from fastmcp.exceptions import ToolError

from tests.interop.oauth.harness import Provider
from tests.mcp.conftest import Deployment

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.anyio]


class HeadlessOAuth(OAuth):
    """fastmcp's ``OAuth`` with the user's browser played by the harness: no web browser, no callback server."""

    def __init__(self, provider: Provider, mcp_url: str) -> None:
        with warnings.catch_warnings():  # "in-memory token storage": what a test wants
            warnings.simplefilter("ignore", UserWarning)
            super().__init__(mcp_url, callback_host="127.0.0.1", client_name="fastmcp e2e")
        self.provider = provider
        self.redirects: list[dict[str, str]] = []

    async def redirect_handler(self, authorization_url: str) -> None:
        redirect_uri = f"http://127.0.0.1:{self.redirect_port}/callback"
        params = await anyio.to_thread.run_sync(self.provider.follow_authorization, authorization_url, redirect_uri)
        self.redirects.append(params)

    async def callback_handler(self) -> Any:
        from mcp.shared.auth import AuthorizationCodeResult

        params = self.redirects[-1]
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))


async def whoami(url: str, oauth: OAuth) -> Any:
    async with Client(url, auth=oauth) as client:
        return (await client.call_tool("whoami", {})).structured_content


async def test_two_users_sign_in_with_fastmcp_and_see_their_own_subject(fastmcp_deployment: Deployment) -> None:
    alice = fastmcp_deployment.user("alice@example.test")
    bob = fastmcp_deployment.user("bob@example.test")
    alice_oauth = HeadlessOAuth(alice, fastmcp_deployment.mcp_url)

    assert (await whoami(fastmcp_deployment.mcp_url, alice_oauth))["subject"] == alice.user["id"]
    assert (await whoami(fastmcp_deployment.mcp_url, HeadlessOAuth(bob, fastmcp_deployment.mcp_url)))["subject"] == (
        bob.user["id"]
    )
    assert alice_oauth.redirects[0]["iss"] == fastmcp_deployment.auth.issuer
    async with Client(fastmcp_deployment.mcp_url, auth=alice_oauth) as client:
        with pytest.raises(ToolError, match="todos:write"):
            await client.call_tool("add_todo", {"title": "milk"})


async def test_a_token_with_the_write_scope_reaches_the_write_tool(fastmcp_deployment: Deployment) -> None:
    provider = fastmcp_deployment.user("writer@example.test")
    token = await anyio.to_thread.run_sync(fastmcp_deployment.token, provider, "todos:read todos:write")
    async with Client(fastmcp_deployment.mcp_url, auth=token) as client:
        answer = (await client.call_tool("add_todo", {"title": "milk"})).structured_content
    assert answer is not None
    assert (answer["added"], answer["subject"], answer["scopes"]) == (
        "milk",
        provider.user["id"],
        ["todos:read", "todos:write"],
    )
