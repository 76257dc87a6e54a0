"""MCP servers for the end-to-end tests: the ``mcp`` SDK's (2.x ``MCPServer`` or 1.x ``FastMCP``, whichever is
installed) and fastmcp's, each protected by this package, with a ``whoami`` tool and an ``add_todo`` tool that needs
``todos:write``; and uvicorn running an ASGI app on a loopback port chosen before the app is built (the resource URL,
which Better Auth must know at start-up, contains it)."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

from betterauth_jwt import OAuthVerifier

WRITE_SCOPE = "todos:write"


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class Uvicorn:
    """uvicorn serving ``app`` from a thread on an already bound socket; stopped the way Ctrl-C stops it."""

    def __init__(self, sock: socket.socket) -> None:
        self.socket = sock
        self.port: int = sock.getsockname()[1]
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, app: Any) -> None:
        config = uvicorn.Config(app, lifespan="on", log_level="warning", http="h11")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            self.thread.join(0.01)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(10)
        self.socket.close()


def _tool_answer(token: Any) -> dict[str, Any]:
    return {"subject": token.subject, "client_id": token.client_id, "scopes": sorted(token.scopes)}


def sdk_app(verifier: OAuthVerifier, *, middleware: bool = False) -> Any:
    """The ``mcp`` SDK's server at ``verifier.resource`` (path ``/mcp``), its Starlette app with 503 on outages; with
    ``middleware``, ``BetterAuthMiddleware`` in front (the exact RFC 6750 answers: ``scope=`` on a 403)."""
    from mcp.server.auth.middleware.auth_context import get_access_token

    from betterauth_jwt.mcp import BetterAuthTokenVerifier, KeysUnavailableMiddleware, auth_settings

    token_verifier = BetterAuthTokenVerifier(verifier)
    settings = auth_settings(verifier)
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:  # mcp 1.x
        from mcp.server.fastmcp import FastMCP
        from mcp.server.fastmcp.exceptions import ToolError  # type: ignore[no-redef]

        server: Any = FastMCP("todos", token_verifier=token_verifier, auth=settings)
        build = server.streamable_http_app
    else:
        server = MCPServer("todos", token_verifier=token_verifier, auth=settings)

        def build() -> Any:
            return server.streamable_http_app(streamable_http_path="/mcp")

    @server.tool()
    def whoami() -> dict[str, Any]:
        """Who the token speaks for."""
        return _tool_answer(get_access_token())

    @server.tool()
    def add_todo(title: str) -> dict[str, Any]:
        """Needs todos:write."""
        token = get_access_token()
        if token is None or WRITE_SCOPE not in token.scopes:
            raise ToolError(f"add_todo needs the {WRITE_SCOPE} scope")
        return {"added": title, **_tool_answer(token)}

    app = build()
    if middleware:
        from betterauth_jwt.asgi import BetterAuthMiddleware

        app.add_middleware(BetterAuthMiddleware, verifier=verifier)
    else:
        app.add_middleware(KeysUnavailableMiddleware)
    return app


def fastmcp_app(verifier: OAuthVerifier, base_url: str) -> Any:
    """fastmcp's server with ``BetterAuthProvider`` (its HTTP app at ``/mcp``)."""
    from fastmcp import FastMCP
    from fastmcp.exceptions import ToolError
    from fastmcp.server.dependencies import get_access_token

    from betterauth_jwt.fastmcp import BetterAuthProvider

    server = FastMCP("todos", auth=BetterAuthProvider(verifier, base_url=base_url, resource_name="Todos"))

    @server.tool
    def whoami() -> dict[str, Any]:
        """Who the token speaks for."""
        return _tool_answer(get_access_token())

    @server.tool
    def add_todo(title: str) -> dict[str, Any]:
        """Needs todos:write."""
        token = get_access_token()
        if token is None or WRITE_SCOPE not in token.scopes:
            raise ToolError(f"add_todo needs the {WRITE_SCOPE} scope")
        return {"added": title, **_tool_answer(token)}

    return server.http_app(path="/mcp")


def mcp_major() -> int:
    from importlib.metadata import version

    return int(version("mcp").split(".")[0])
