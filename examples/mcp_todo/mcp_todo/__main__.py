"""``python -m mcp_todo [--fastmcp]``: read the environment, validate it, serve with uvicorn on HOST:PORT (the mcp SDK's
server, or with ``--fastmcp`` the same tools on fastmcp).

The todo API's package must be importable too (``PYTHONPATH=examples/fastapi_todo``): this server shares its data
layer.
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from .app import create_app
from .settings import Settings, SettingsError


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m mcp_todo", description="The MCP todo server.")
    parser.add_argument("--fastmcp", action="store_true", help="serve with fastmcp and BetterAuthProvider")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"mcp_todo: invalid configuration: {exc}")
    print(f"mcp_todo: MCP endpoint {settings.resource_url} (tokens from {settings.issuer})", flush=True)
    app = create_app(settings, flavour="fastmcp" if args.fastmcp else "mcp")
    uvicorn.run(app, host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
