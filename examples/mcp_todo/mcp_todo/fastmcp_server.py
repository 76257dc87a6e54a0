"""The same server on fastmcp: ``FastMCP(auth=BetterAuthProvider(...))`` is the whole authentication set-up (token
verification, RFC 9728 metadata naming Better Auth, a JWKS outage answered 503), with the same tools, the same
per-tool scopes and the same data. ``python -m mcp_todo --fastmcp`` serves it."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token
from sqlalchemy import Engine
from starlette.applications import Starlette

from betterauth_jwt import AccessGrant
from betterauth_jwt.fastmcp import BetterAuthProvider

from .server import INSTRUCTIONS, SERVER_NAME, gate_tools, register_tools
from .settings import Settings
from .tools import READ, WRITE, TodoTools


def create_server(settings: Settings, engine: Engine) -> FastMCP:
    parts = urlsplit(settings.resource_url)
    provider = BetterAuthProvider(
        settings.verifier,
        base_url=f"{parts.scheme}://{parts.netloc}",  # plus the MCP path: the resource URL, checked by the provider
        scopes_supported=[READ, WRITE],
        resource_name=SERVER_NAME,
    )
    server = FastMCP(SERVER_NAME, instructions=INSTRUCTIONS, auth=provider)

    async def current_grant() -> AccessGrant | None:
        access = get_access_token()
        return None if access is None else await provider.grant(access)

    register_tools(server, TodoTools(engine, current_grant), ToolError)
    return server


def create_app(settings: Settings, engine: Engine) -> Starlette:
    app: Starlette = create_server(settings, engine).http_app(path=settings.mcp_path)
    gate_tools(app, settings.mcp_path, settings.resource_url)
    return app
