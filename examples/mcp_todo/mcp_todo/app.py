"""``create_app(settings)``: the database and the MCP server, ready for uvicorn."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from starlette.applications import Starlette
from todo_api.db import create_db_engine, create_schema

from betterauth_jwt import KeysUnavailableError, RemoteJWKS

from . import server
from .settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, flavour: str = "mcp") -> Starlette:
    """``flavour``: ``"mcp"`` (the mcp SDK's ``MCPServer``) or ``"fastmcp"`` (fastmcp with ``BetterAuthProvider``)."""
    engine = create_db_engine(settings.database_url)
    if flavour == "fastmcp":
        from . import fastmcp_server  # fastmcp is optional: imported only when asked for

        app = fastmcp_server.create_app(settings, engine)
    elif flavour == "mcp":
        app = server.create_app(settings, engine)
    else:
        raise ValueError(f"unknown flavour {flavour!r}: 'mcp' or 'fastmcp'")
    sdk_lifespan = app.router.lifespan_context
    keys = settings.verifier.keys

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The todo API's table, created if missing (either server may start first); blocking I/O off the loop.
        await anyio.to_thread.run_sync(create_schema, engine)
        if isinstance(keys, RemoteJWKS):
            # Better Auth may start after us: requests answer 503 until its keys arrive.
            with contextlib.suppress(KeysUnavailableError):
                await keys.awarm()
        try:
            async with sdk_lifespan(app):  # the SDK's session manager
                yield
        finally:
            await anyio.to_thread.run_sync(engine.dispose)
            if isinstance(keys, RemoteJWKS):
                await keys.aclose()

    app.router.lifespan_context = lifespan
    return app
