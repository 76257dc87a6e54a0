"""The ``mcp`` SDK's own OAuth client (``OAuthClientProvider``) against a protected MCP server: discovery (401 ->
RFC 9728 metadata -> RFC 8414 metadata), dynamic client registration (mcp 2.x registers as a native app, so a loopback
redirect URI is allowed; mcp 1.x cannot say so and gets a pre-registered client), authorization code + PKCE through
Better Auth's login and consent pages (followed over HTTP by the harness's signed-in browser), the token request with
``resource``, then ``tools/call``."""

from __future__ import annotations

import json
from typing import Any

import anyio

from tests.interop.oauth.harness import NATIVE_REDIRECT_URI, Provider

try:  # mcp 2.x speaks httpx2, 1.x httpx
    import httpx2 as http_client_module
    from mcp.shared.auth import AuthorizationCodeResult

    MCP_MAJOR = 2
except ImportError:  # pragma: no cover - the mcp 1.x environment
    import httpx as http_client_module  # type: ignore[no-redef]

    MCP_MAJOR = 1

from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from mcp import ClientSession


class MemoryStorage:
    """The SDK's ``TokenStorage``, in memory."""

    def __init__(self, client_info: OAuthClientInformationFull | None = None) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info = client_info

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class SignedInBrowser:
    """The SDK's redirect and callback handlers: the user's browser (the harness's ``Provider``, signed in) opens the
    authorization URL, signs in and consents, and the final redirect's ``code``, ``state`` and ``iss`` go back."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.redirects: list[dict[str, str]] = []
        self.authorization_urls: list[str] = []

    async def redirect_handler(self, url: str) -> None:
        self.authorization_urls.append(url)
        params = await anyio.to_thread.run_sync(self.provider.follow_authorization, url, NATIVE_REDIRECT_URI)
        self.redirects.append(params)

    async def callback_handler(self) -> Any:
        params = self.redirects[-1]
        if MCP_MAJOR == 1:
            return params["code"], params.get("state")
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))


def client_metadata(scope: str) -> OAuthClientMetadata:
    fields: dict[str, Any] = {
        "client_name": "betterauth-jwt e2e",
        "redirect_uris": [NATIVE_REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": scope,
    }
    return OAuthClientMetadata.model_validate(fields)


def preregistered_client(provider: Provider, scope: str) -> OAuthClientInformationFull:
    """A native public client made with the admin API (for mcp 1.x, whose registration cannot say "native")."""
    client = provider.admin_create_client(
        client_name="betterauth-jwt e2e (mcp 1.x)",
        application_type="native",
        redirect_uris=[NATIVE_REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
    )
    return OAuthClientInformationFull.model_validate(
        {**client_metadata(scope).model_dump(mode="json", exclude_none=True), "client_id": client.client_id}
    )


class McpUser:
    """One user with an MCP client: the OAuth provider, its storage and the signed-in browser."""

    def __init__(self, provider: Provider, server_url: str, scope: str = "todos:read todos:write") -> None:
        self.browser = SignedInBrowser(provider)
        info = preregistered_client(provider, scope) if MCP_MAJOR == 1 else None
        self.storage = MemoryStorage(info)
        self.oauth = OAuthClientProvider(
            server_url=server_url,
            client_metadata=client_metadata(scope),
            storage=self.storage,
            redirect_handler=self.browser.redirect_handler,
            callback_handler=self.browser.callback_handler,
        )
        self.server_url = server_url

    async def call(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        """One ``tools/call`` in a fresh session, signing in first if needed: the tool's JSON result, or
        ``{"error": text}`` for a tool error."""
        async with http_client_module.AsyncClient(auth=self.oauth, timeout=30.0) as http:
            return await _call(http, self.server_url, tool, arguments)


async def _call(http: Any, server_url: str, tool: str, arguments: dict[str, Any] | None) -> Any:
    async with (
        streamable_http_client(server_url, http_client=http) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        result = await session.call_tool(tool, arguments or {})
    text = "".join(getattr(block, "text", "") for block in result.content)
    if result.is_error if MCP_MAJOR == 2 else result.isError:
        return {"error": text}
    return json.loads(text)


async def call_with_token(server_url: str, token: str, tool: str, arguments: dict[str, Any] | None = None) -> Any:
    """``tools/call`` with a bearer token the caller got elsewhere (no OAuth flow)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with http_client_module.AsyncClient(headers=headers, timeout=30.0) as http:
        return await _call(http, server_url, tool, arguments)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}


def post_initialize(server_url: str, token: str | None) -> Any:
    """One raw ``initialize`` POST (what any MCP client sends first), to see the server's HTTP answer as it is."""
    import httpx

    headers = {"Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(server_url, json=INITIALIZE, headers=headers, timeout=10.0)
