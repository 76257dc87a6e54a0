"""The MCP todo server: four tools over the todo API's database, behind Better Auth's OAuth provider.

Built with the ``mcp`` SDK 2.x (``MCPServer``) and betterauth-jwt's ``BetterAuthTokenVerifier``: the SDK asks for a
bearer token on every request (401 with ``resource_metadata`` without one), betterauth-jwt verifies it (signature from
Better Auth's JWKS, ``typ: at+jwt``, issuer, ``aud`` = this server's URL, expiry), each tool call is checked for its
scope (scope_gate.py: 403 ``insufficient_scope``), and the tools act for the token's user only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Route
from todo_api.schemas import TaskPage, TaskRead

from betterauth_jwt import AccessGrant
from betterauth_jwt.mcp import BetterAuthTokenVerifier, KeysUnavailableMiddleware, auth_settings

from .scope_gate import ToolScopeGate
from .settings import Settings
from .tools import READ, TOOL_SCOPES, WRITE, TodoTools, ToolRefused

INSTRUCTIONS = (
    "Your todo list. list_todos shows your todos (newest first); add_todo, complete_todo and delete_todo change them. "
    "Todo ids come from list_todos or add_todo."
)
SERVER_NAME = "Todo (Better Auth)"
TodoId = Annotated[int, Field(ge=1, le=2**31 - 1, description="The todo's id, from list_todos or add_todo")]


def register_tools(server: Any, todos: TodoTools, tool_error: type[Exception]) -> None:
    """The four tools, on an ``MCPServer`` or a fastmcp ``FastMCP`` (same decorator); ``tool_error`` is the SDK's
    "anticipated failure" exception: the client sees its message as the tool's error."""

    async def owner(tool: str) -> Any:
        try:
            return await todos.owner(tool)
        except ToolRefused as exc:
            raise tool_error(str(exc)) from None

    async def run(call: Any) -> Any:
        try:
            return await call
        except ToolRefused as exc:
            raise tool_error(str(exc)) from None

    @server.tool(title="List my todos")
    async def list_todos(
        status: Literal["all", "active", "completed"] = "all",
        limit: Annotated[int, Field(ge=1, le=100)] = 50,
        offset: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0,
    ) -> TaskPage:
        """List your todos, newest first. Needs the todos:read scope."""
        return await run(todos.list_todos(await owner("list_todos"), status, limit, offset))

    @server.tool(title="Add a todo")
    async def add_todo(
        title: Annotated[str, Field(description="What to do (1-200 characters)")],
        description: Annotated[str, Field(description="Optional details (up to 1000 characters)")] = "",
    ) -> TaskRead:
        """Add a todo to your list. Needs the todos:write scope."""
        return await run(todos.add_todo(await owner("add_todo"), title, description))

    @server.tool(title="Complete a todo")
    async def complete_todo(todo_id: TodoId) -> TaskRead:
        """Mark one of your todos as done. Needs the todos:write scope."""
        return await run(todos.complete_todo(await owner("complete_todo"), todo_id))

    @server.tool(title="Delete a todo")
    async def delete_todo(todo_id: TodoId) -> str:
        """Delete one of your todos for good. Needs the todos:write scope."""
        await run(todos.delete_todo(await owner("delete_todo"), todo_id))
        return f"Deleted todo {todo_id}."


def create_server(settings: Settings, engine: Engine) -> MCPServer:
    """The MCP server object with its four tools."""
    token_verifier = BetterAuthTokenVerifier(settings.verifier)
    server = MCPServer(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        token_verifier=token_verifier,
        # No scope for the whole server (each tool has its own, below); the SDK checks that the token was issued for
        # this server's URL (validate_token_resource), as the verifier did.
        auth=auth_settings(settings.verifier),
    )

    async def current_grant() -> AccessGrant | None:
        access = get_access_token()  # the SDK's AccessToken of this request; the grant tells user and machine apart
        return None if access is None else await token_verifier.grant(access)

    register_tools(server, TodoTools(engine, current_grant), ToolError)
    return server


def gate_tools(app: Starlette, mcp_path: str, resource_url: str) -> None:
    """Wrap the app's MCP endpoint (inside the SDK's bearer authentication) in the per-tool scope check."""
    metadata_url = str(build_resource_metadata_url(resource_url))  # type: ignore[arg-type]
    for route in app.router.routes:
        if isinstance(route, Route) and route.path == mcp_path:
            route.app = ToolScopeGate(route.app, TOOL_SCOPES, metadata_url)
            return
    raise RuntimeError(f"no MCP endpoint at {mcp_path} to protect")


def create_app(settings: Settings, engine: Engine) -> Starlette:
    """The ASGI app: the SDK's streamable HTTP app at the resource URL's path, its RFC 9728 metadata listing both
    scopes, each tool call checked for its scope, and a JWKS outage answered 503."""
    server = create_server(settings, engine)
    app: Starlette = server.streamable_http_app(streamable_http_path=settings.mcp_path, host=settings.host)
    # The SDK's metadata lists only the server-wide required scopes (none here): replaced by one listing both.
    app.router.routes[:] = [
        route
        for route in app.router.routes
        if not (isinstance(route, Route) and route.path.startswith("/.well-known/oauth-protected-resource"))
    ]
    app.router.routes.extend(
        create_protected_resource_routes(
            resource_url=settings.resource_url,  # type: ignore[arg-type]
            authorization_servers=[settings.issuer],  # type: ignore[list-item]
            scopes_supported=[READ, WRITE],
            resource_name=SERVER_NAME,
        )
    )
    gate_tools(app, settings.mcp_path, settings.resource_url)
    app.add_middleware(KeysUnavailableMiddleware)
    return app
