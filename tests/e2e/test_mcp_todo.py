"""The MCP todo server (examples/mcp_todo) end to end with real parts: the Next.js + Better Auth front end (its OAuth
provider, login and consent pages), the todo API and the MCP server under uvicorn, started like ``make demo`` does;
the ``mcp`` SDK's own client with its ``OAuthClientProvider`` (discovery, dynamic registration, authorization code +
PKCE with ``resource``, ``iss`` check); a person at the login and consent pages played by headless Chromium or by
plain HTTP. Screenshots of the login and consent pages: test-artifacts/e2e/mcp/.

The last test runs the MCP server against the OAuth provider test server (tests/interop/oauth) for what the demo's
front end does not issue: client_credentials (machine) tokens, DPoP-bound tokens, tokens for another resource.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastmcp import Client as FastMCPClient
from fastmcp.client.auth import OAuth
from fastmcp.exceptions import ToolError as FastMCPToolError
from mcp.shared.auth import AuthorizationCodeResult
from scripts import demo

from tests._support import unavailable
from tests.e2e._mcp_client import (
    BrowserRun,
    Connection,
    browser_authorize,
    connect,
    http_authorize,
    jwt_part,
    rpc,
    sse_result,
)
from tests.e2e._stack import ARTIFACTS, RunningStack, full_stack
from tests.interop.harness import node_available, sign_in, sign_up
from tests.interop.oauth.harness import RESOURCE, OAuthProviderServer, issue_tokens
from tests.interop.todo_server import free_port

pytestmark = [pytest.mark.interop, pytest.mark.slow]

SHOTS = ARTIFACTS / "mcp"
TOOLS = {"list_todos", "add_todo", "complete_todo", "delete_todo"}
PASSWORD = "an mcp password 123"
CLIENT_NAME = "betterauth-jwt e2e MCP client"


@pytest.fixture(scope="module")
def stack(frontend_build: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with full_stack("jwks", tmp_path_factory.mktemp("mcp-stack"), mcp="mcp") as running:
        yield running


def text_of(result: Any) -> str:
    return " ".join(getattr(item, "text", "") for item in result.content)


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


async def list_todos(connection: Connection) -> dict[str, Any]:
    result = await connection.call("list_todos")
    assert not result.is_error, text_of(result)
    page: dict[str, Any] = result.structured_content
    return page


async def add_todo(connection: Connection, title: str) -> dict[str, Any]:
    result = await connection.call("add_todo", {"title": title})
    assert not result.is_error, text_of(result)
    todo: dict[str, Any] = result.structured_content
    return todo


def api_titles(stack: RunningStack, email: str) -> list[str]:
    """The user's tasks as the todo API shows them, with a first-party JWT from the front end's Better Auth."""
    with sign_in(stack.config.web_url, email, PASSWORD) as session:
        token = session.token()
    response = httpx.get(f"{stack.config.api_url}/api/tasks", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["items"]]


def assert_token_for(connection: Connection, stack: RunningStack, scopes: set[str]) -> dict[str, Any]:
    """The access token is an RFC 9068 JWT from the front end's OAuth provider, for the MCP server's URL."""
    header, claims = jwt_part(connection.access_token, 0), connection.claims()
    assert header["typ"] == "at+jwt"
    assert claims["iss"] == stack.config.web_url
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert stack.config.mcp_url in audience
    assert set(claims["scope"].split()) == scopes
    return claims


def test_discovery_documents_and_401(stack: RunningStack) -> None:
    mcp_url = stack.config.mcp_url
    refused = httpx.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10)
    assert refused.status_code == 401
    metadata_url = f"http://127.0.0.1:{stack.config.mcp_port}/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in refused.headers["www-authenticate"]

    metadata = httpx.get(metadata_url, headers={"Origin": "http://localhost:6274"}, timeout=10)
    assert metadata.status_code == 200
    assert metadata.headers["access-control-allow-origin"] == "*"  # MCP Inspector reads it from a browser
    document = metadata.json()
    assert document["resource"] == mcp_url
    assert document["authorization_servers"] == [stack.config.web_url]
    assert document["scopes_supported"] == ["todos:read", "todos:write"]

    inspector = {"Origin": "http://localhost:6274"}  # MCP Inspector calls these with fetch from its page
    response = httpx.get(
        f"{stack.config.web_url}/.well-known/oauth-authorization-server", headers=inspector, timeout=10
    )
    assert response.headers["access-control-allow-origin"] == "*"
    server = response.json()
    assert server["issuer"] == stack.config.web_url
    assert server["registration_endpoint"] == f"{stack.config.web_url}/api/auth/oauth2/register"
    assert {"todos:read", "todos:write"} <= set(server["scopes_supported"])
    preflight = httpx.options(
        server["token_endpoint"],
        headers={
            **inspector,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"

    # Registration as MCP Inspector sends it: no application_type, http loopback redirect URIs. Better Auth would take
    # it for a web client and refuse; the example's hook registers it as the native app it is (RFC 8252).
    registered = httpx.post(
        server["registration_endpoint"],
        json={
            "redirect_uris": ["http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/debug"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "client_name": "MCP Inspector",
        },
        headers=inspector,
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    assert registered.headers["access-control-allow-origin"] == "*"
    assert registered.json()["application_type"] == "native"
    web_client = httpx.post(
        server["registration_endpoint"],
        json={"redirect_uris": ["http://app.example.test/callback"], "token_endpoint_auth_method": "none"},
        timeout=10,
    )
    assert web_client.status_code == 400  # a web client on plain http elsewhere is still refused


@pytest.mark.anyio
async def test_two_users_each_see_only_their_own_todos(stack: RunningStack, chromium: Path) -> None:
    web, mcp_url = stack.config.web_url, stack.config.mcp_url
    alice, bob = f"alice-{secrets.token_hex(4)}@example.com", f"bob-{secrets.token_hex(4)}@example.com"
    browser = BrowserRun()
    # Alice arrives from her MCP client with no account: she creates it on the OAuth login page, in Chromium.
    alice_login = browser_authorize(chromium, alice, PASSWORD, SHOTS, prefix="", create_account=True, log=browser)
    async with connect(mcp_url, alice_login, client_name=CLIENT_NAME) as alice_mcp:
        tools = await alice_mcp.session.list_tools()
        assert {tool.name for tool in tools.tools} == TOOLS
        claims = assert_token_for(alice_mcp, stack, {"todos:read", "todos:write", "offline_access"})
        alice_id = claims["sub"]
        report = await add_todo(alice_mcp, "Alice: file the MCP report")
        groceries = await add_todo(alice_mcp, "Alice: groceries")
        assert report["user_id"] == alice_id
        done = await alice_mcp.call("complete_todo", {"todo_id": report["id"]})
        assert done.structured_content["completed"] is True
        page = await list_todos(alice_mcp)
        assert page["total"] == 2
        assert {item["user_id"] for item in page["items"]} == {alice_id}

    consent = browser.records[0]["consent"]
    assert consent["client"] == CLIENT_NAME
    assert consent["client_on_login"] == CLIENT_NAME
    assert consent["user"] == alice
    assert consent["resource"] == mcp_url
    assert set(consent["scopes"]) == {"todos:read", "todos:write", "offline_access"}
    assert browser.records[0]["pageErrors"] == []
    for name in ("login.png", "consent.png"):
        assert (SHOTS / name).is_file()

    # Bob has an account already; his MCP client signs him in over HTTP. He sees none of Alice's todos and cannot
    # touch them: another user's todo looks exactly like a missing one.
    with sign_up(web, bob, PASSWORD, "Bob"):
        pass
    async with connect(mcp_url, http_authorize(web, bob, PASSWORD), client_name=CLIENT_NAME) as bob_mcp:
        bob_id = assert_token_for(bob_mcp, stack, {"todos:read", "todos:write", "offline_access"})["sub"]
        assert bob_id != alice_id
        assert (await list_todos(bob_mcp))["total"] == 0
        for tool in ("complete_todo", "delete_todo"):
            result = await bob_mcp.call(tool, {"todo_id": groceries["id"]})
            assert result.is_error
            assert "Task not found" in text_of(result)
        await add_todo(bob_mcp, "Bob: oil change")
        assert titles(await list_todos(bob_mcp)) == ["Bob: oil change"]

    # The same todos through the todo API, for the same users (one database, one owner column).
    assert sorted(api_titles(stack, alice)) == ["Alice: file the MCP report", "Alice: groceries"]
    assert api_titles(stack, bob) == ["Bob: oil change"]

    # Alice again (her consent is remembered: no consent page this time), deleting her own todo.
    async with connect(mcp_url, http_authorize(web, alice, PASSWORD), client_name=CLIENT_NAME) as alice_mcp:
        deleted = await alice_mcp.call("delete_todo", {"todo_id": groceries["id"]})
        assert not deleted.is_error, text_of(deleted)
        assert titles(await list_todos(alice_mcp)) == ["Alice: file the MCP report"]


@pytest.mark.anyio
async def test_read_only_consent_cannot_write(stack: RunningStack, chromium: Path) -> None:
    web, mcp_url = stack.config.web_url, stack.config.mcp_url
    carol = f"carol-{secrets.token_hex(4)}@example.com"
    with sign_up(web, carol, PASSWORD, "Carol"):
        pass
    browser = BrowserRun()
    read_only = browser_authorize(
        chromium, carol, PASSWORD, SHOTS, prefix="read-only-", untick=("todos:write",), log=browser
    )
    async with connect(mcp_url, read_only, client_name=CLIENT_NAME) as carol_mcp:
        assert_token_for(carol_mcp, stack, {"todos:read", "offline_access"})
        assert (await list_todos(carol_mcp))["total"] == 0
        token = carol_mcp.access_token

    # What the MCP client sees on the wire for a write: 403 insufficient_scope naming the scope it needs.
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "add_todo", "arguments": {"title": "x"}},
    }
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await client.post(
            mcp_url,
            json=call,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
        )
    assert refused.status_code == 403, refused.text
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="todos:write"' in challenge
    assert "resource_metadata=" in challenge
    assert api_titles(stack, carol) == []
    assert (SHOTS / "read-only-consent.png").is_file()


@pytest.mark.anyio
async def test_denied_consent_gives_the_client_no_token(stack: RunningStack) -> None:
    web = stack.config.web_url
    frank = f"frank-{secrets.token_hex(4)}@example.com"
    with sign_up(web, frank, PASSWORD, "Frank"):
        pass
    finals: list[str] = []
    deny = http_authorize(web, frank, PASSWORD, deny=True)

    async def recording(authorization_url: str, redirect_uri: str) -> str:
        finals.append(await deny(authorization_url, redirect_uri))
        return finals[-1]

    with pytest.raises(Exception):  # noqa: PT011  (the SDK's flow error, possibly in an exception group)
        async with connect(stack.config.mcp_url, recording, client_name=CLIENT_NAME):
            pass
    params = parse_qs(urlsplit(finals[0]).query)
    assert params["error"] == ["access_denied"]
    assert "code" not in params
    assert params["iss"] == [web]


# --- The fastmcp variant with fastmcp's own client ------------------------------------------------------------------


class HttpOAuth(OAuth):
    """fastmcp's ``OAuth`` helper with the person at the login and consent pages played over HTTP (no web browser, no
    callback server): the same discovery, registration, PKCE and ``iss`` check."""

    def __init__(self, mcp_url: str, authorize: Any) -> None:
        with warnings.catch_warnings():  # "in-memory token storage": what a test wants
            warnings.simplefilter("ignore", UserWarning)
            super().__init__(mcp_url, callback_host="127.0.0.1", client_name=CLIENT_NAME)
        self.authorize = authorize
        self.finals: list[str] = []

    async def redirect_handler(self, authorization_url: str) -> None:
        redirect_uri = f"http://127.0.0.1:{self.redirect_port}/callback"
        self.finals.append(await self.authorize(authorization_url, redirect_uri))

    async def callback_handler(self) -> Any:
        params = {name: values[0] for name, values in parse_qs(urlsplit(self.finals[-1]).query).items()}
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))


@pytest.mark.anyio
async def test_fastmcp_variant_with_fastmcp_client(frontend_build: None, tmp_path: Path) -> None:
    with full_stack("jwks", tmp_path, mcp="fastmcp") as stack:
        web, mcp_url = stack.config.web_url, stack.config.mcp_url
        users = [f"{name}-{secrets.token_hex(4)}@example.com" for name in ("dora", "eric")]
        for email in users:
            with sign_up(web, email, PASSWORD, email.split("-")[0].title()):
                pass
        dora, eric = (HttpOAuth(mcp_url, http_authorize(web, email, PASSWORD)) for email in users)
        async with FastMCPClient(mcp_url, auth=dora) as client:
            assert {tool.name for tool in await client.list_tools()} == TOOLS
            added = (await client.call_tool("add_todo", {"title": "Dora: fastmcp todo"})).structured_content
            listed = (await client.call_tool("list_todos", {})).structured_content
        assert listed["total"] == 1
        assert listed["items"][0]["user_id"] == added["user_id"]
        assert parse_qs(urlsplit(dora.finals[0]).query)["iss"] == [web]
        async with FastMCPClient(mcp_url, auth=eric) as client:
            assert (await client.call_tool("list_todos", {})).structured_content["total"] == 0
            with pytest.raises(FastMCPToolError, match="Task not found"):
                await client.call_tool("delete_todo", {"todo_id": added["id"]})
        assert api_titles(stack, users[0]) == ["Dora: fastmcp todo"]


# --- Against the OAuth provider test server: machine and other tokens the demo does not issue ----------------------


@pytest.fixture(scope="module")
def provider_tokens() -> Any:
    if not node_available():
        unavailable("Node 20 and npm are needed for the Better Auth OAuth provider test server")
    with OAuthProviderServer("default") as server:
        yield server, issue_tokens(server)


def test_machine_and_foreign_tokens_are_refused(provider_tokens: Any, tmp_path: Path) -> None:
    server, tokens = provider_tokens
    port = free_port()
    env = {
        **os.environ,
        "BETTER_AUTH_URL": server.base_url,
        "BETTER_AUTH_ISSUER": server.issuer,  # the provider's default: <origin>/api/auth
        "MCP_RESOURCE_URL": RESOURCE,  # served here on 127.0.0.1, named like a deployed server
        "DATABASE_URL": f"sqlite:///{tmp_path / 'todo.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONPATH": os.pathsep.join([str(demo.MCP_DIR), str(demo.API_DIR)]),
    }
    log = tmp_path / "mcp.log"
    with log.open("w", encoding="utf-8") as sink:
        service = demo.Service(
            "mcp",
            [sys.executable, "-m", "mcp_todo"],
            cwd=demo.MCP_DIR,
            env=env,
            url=f"http://127.0.0.1:{port}/mcp",
            sink=sink,
        )
        service.start()
        try:
            service.wait_until_answering(30)
            url = f"http://127.0.0.1:{port}/mcp"

            def call(token: str, tool: str = "list_todos") -> httpx.Response:
                return rpc(url, token, tool)

            # A client_credentials token is valid, for this resource, with both scopes, but acts for no user.
            machine = call(tokens.machine_access_token)
            assert machine.status_code == 200, machine.text
            result = sse_result(machine)
            assert result["isError"] is True
            assert "client_credentials" in result["content"][0]["text"]
            # A user's token for this resource works (a public native client's, todos:read todos:write).
            assert sse_result(call(tokens.single_audience_access_token))["isError"] is False
            # Not for this server: another resource, a first-party JWT, an id_token, a DPoP-bound token sent as a
            # bearer token: 401 with the metadata URL, before any tool runs.
            for name in ("other_resource_access_token", "first_party_token", "id_token", "dpop_access_token"):
                refused = call(getattr(tokens, name))
                assert refused.status_code == 401, (name, refused.text)
                assert "resource_metadata=" in refused.headers["www-authenticate"]
        finally:
            demo.stop_all([service], signal.SIGTERM, hurry=lambda: False)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
