"""The MCP todo server (examples/mcp_todo) under uvicorn, with tokens from ``betterauth_jwt.testing``: per-tool scopes
(403 with ``scope=``), users isolated, machine tokens refused, bad tokens 401, settings checked. The same server
against the real Better Auth front end and the mcp SDK's client: tests/e2e/test_mcp_todo.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp_todo import app as mcp_app
from mcp_todo.scope_gate import needed_scopes
from mcp_todo.settings import Settings, SettingsError
from mcp_todo.tools import TOOL_SCOPES
from todo_api.settings import database_url_from

from betterauth_jwt.testing import TokenFactory
from tests.e2e._mcp_client import rpc, sse_result
from tests.example._server import LiveServer

RESOURCE = "http://127.0.0.1:8001/mcp"  # what the tokens name; the test server listens on another port
BOTH = ("todos:read", "todos:write")


@pytest.fixture(scope="module")
def factory() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(scope="module", params=["mcp", "fastmcp"])
def server(
    request: pytest.FixtureRequest, factory: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The server (the mcp SDK's, or the fastmcp variant) under uvicorn; its MCP endpoint's URL."""
    database = database_url_from(f"sqlite:///{tmp_path_factory.mktemp('mcp') / 'todo.db'}")
    settings = Settings(verifier=factory.oauth_verifier(RESOURCE), resource_url=RESOURCE, database_url=database)
    with LiveServer(mcp_app.create_app(settings, flavour=request.param)) as live:
        yield f"{live.url}/mcp"


def call(url: str, token: str, tool: str, **arguments: Any) -> dict[str, Any]:
    return sse_result(rpc(url, token, tool, arguments))


def text(result: dict[str, Any]) -> str:
    return " ".join(item.get("text", "") for item in result["content"])


def test_each_user_sees_and_changes_only_their_own_todos(server: str, factory: TokenFactory) -> None:
    alice = factory.oauth_token("alice", scopes=BOTH, resource=RESOURCE)
    bob = factory.oauth_token("bob", scopes=BOTH, resource=RESOURCE)
    todo = call(server, alice, "add_todo", title="  Alice's todo  ")["structuredContent"]
    assert (todo["title"], todo["user_id"], todo["completed"]) == ("Alice's todo", "alice", False)

    assert call(server, bob, "list_todos")["structuredContent"]["total"] == 0
    for tool in ("complete_todo", "delete_todo"):
        refused = call(server, bob, tool, todo_id=todo["id"])
        assert refused["isError"] is True
        assert "Task not found" in text(refused)

    assert call(server, alice, "complete_todo", todo_id=todo["id"])["structuredContent"]["completed"] is True
    assert call(server, alice, "list_todos", status="completed")["structuredContent"]["total"] == 1
    deleted = call(server, alice, "delete_todo", todo_id=todo["id"])
    assert deleted["isError"] is False
    assert call(server, alice, "list_todos")["structuredContent"]["total"] == 0


def test_invalid_arguments_are_the_tools_errors(server: str, factory: TokenFactory) -> None:
    token = factory.oauth_token("carol", scopes=BOTH, resource=RESOURCE)
    empty = call(server, token, "add_todo", title="   ")
    assert empty["isError"] is True
    assert "invalid todo" in text(empty)
    assert call(server, token, "complete_todo", todo_id=0)["isError"] is True  # ids start at 1
    assert call(server, token, "list_todos", limit=1000)["isError"] is True


@pytest.mark.parametrize(
    ("scopes", "tool", "arguments", "needed"),
    [
        (("todos:read",), "add_todo", {"title": "x"}, "todos:write"),
        (("todos:read",), "complete_todo", {"todo_id": 1}, "todos:write"),
        (("todos:read",), "delete_todo", {"todo_id": 1}, "todos:write"),
        (("todos:write",), "list_todos", {}, "todos:read"),
        (("openid",), "list_todos", {}, "todos:read"),
    ],
)
def test_a_tool_without_its_scope_is_403_with_the_scope(
    server: str, factory: TokenFactory, scopes: tuple[str, ...], tool: str, arguments: dict[str, Any], needed: str
) -> None:
    token = factory.oauth_token("dave", scopes=scopes, resource=RESOURCE)
    refused = rpc(server, token, tool, arguments)
    assert refused.status_code == 403
    challenge = refused.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{needed}"' in challenge
    assert 'resource_metadata="http://127.0.0.1:8001/.well-known/oauth-protected-resource/mcp"' in challenge
    assert refused.json()["scope"] == needed


def test_a_machine_token_gets_a_clear_refusal(server: str, factory: TokenFactory) -> None:
    machine = factory.machine_token(scopes=BOTH, resource=RESOURCE)
    for tool, arguments in (("list_todos", {}), ("add_todo", {"title": "x"})):
        refused = call(server, machine, tool, **arguments)
        assert refused["isError"] is True
        assert "client_credentials" in text(refused)
        assert "signed-in user" in text(refused)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda f: f.oauth_token("eve", scopes=BOTH, resource=RESOURCE, expires_in=-5), id="expired"),
        pytest.param(
            lambda f: f.oauth_token("eve", scopes=BOTH, resource="http://other.test/mcp"), id="other-resource"
        ),
        pytest.param(lambda f: f.oauth_token("eve", scopes=BOTH, resource=RESOURCE, dpop_jkt="x" * 43), id="dpop"),
        pytest.param(lambda f: f.access_token("eve"), id="first-party-jwt"),
        pytest.param(lambda f: f.id_token("eve"), id="id-token"),
        pytest.param(lambda f: "not-a-token", id="garbage"),
    ],
)
def test_tokens_not_for_this_server_are_401(server: str, factory: TokenFactory, make: Any) -> None:
    refused = rpc(server, make(factory), "list_todos")
    assert refused.status_code == 401
    assert (
        'resource_metadata="http://127.0.0.1:8001/.well-known/oauth-protected-resource/mcp"'
        in refused.headers["www-authenticate"]
    )


def test_no_token_is_401_and_the_metadata_lists_both_scopes(server: str, factory: TokenFactory) -> None:
    assert httpx.post(server, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10).status_code == 401
    origin = server.removesuffix("/mcp")
    metadata = httpx.get(f"{origin}/.well-known/oauth-protected-resource/mcp", timeout=10).json()
    assert metadata["resource"] == RESOURCE
    assert metadata["authorization_servers"] == [factory.oauth_issuer]
    assert metadata["scopes_supported"] == ["todos:read", "todos:write"]
    assert metadata["bearer_methods_supported"] == ["header"]
    assert metadata["resource_name"] == "Todo (Better Auth)"


def test_needed_scopes_reads_calls_and_batches() -> None:
    call_add = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add_todo"}}
    call_list = {**call_add, "id": 2, "params": {"name": "list_todos"}}
    assert needed_scopes(b"[" + httpx_json(call_add) + b"," + httpx_json(call_list) + b"]", TOOL_SCOPES) == set(BOTH)
    assert needed_scopes(httpx_json({**call_add, "params": {"name": "unknown"}}), TOOL_SCOPES) == set()
    assert needed_scopes(httpx_json({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}), TOOL_SCOPES) == set()
    assert needed_scopes(b"{not json", TOOL_SCOPES) == set()
    assert needed_scopes(b'{"method": "tools/call", "params": []}', TOOL_SCOPES) == set()


def httpx_json(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_settings_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"BETTER_AUTH_URL": "http://localhost:3000/", "MCP_RESOURCE_URL": "http://127.0.0.1:9000/mcp/"}
    )
    assert settings.resource_url == "http://127.0.0.1:9000/mcp"
    assert settings.issuer == "http://localhost:3000"  # the example front end's jwt.issuer: its origin
    assert (settings.port, settings.mcp_path) == (9000, "/mcp")
    issuer = Settings.from_env({"BETTER_AUTH_ISSUER": "https://auth.example.com/api/auth"}).issuer
    assert issuer == "https://auth.example.com/api/auth"
    for environ, variable in (
        ({"MCP_RESOURCE_URL": "http://127.0.0.1:9000"}, "MCP_RESOURCE_URL"),
        ({"MCP_RESOURCE_URL": "ftp://x/mcp"}, "MCP_RESOURCE_URL"),
        ({"BETTER_AUTH_URL": "not a url"}, "BETTER_AUTH_URL"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"PORT": "http"}, "PORT"),
    ):
        with pytest.raises(SettingsError) as caught:
            Settings.from_env(environ)
        assert caught.value.variable == variable
