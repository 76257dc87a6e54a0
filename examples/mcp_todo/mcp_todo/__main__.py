"""``python -m mcp_todo``: read the environment, validate it, serve with uvicorn on HOST:PORT.

The todo API's package must be importable too (``PYTHONPATH=examples/fastapi_todo``): this server shares its data
layer.
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .settings import Settings, SettingsError


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"mcp_todo: invalid configuration: {exc}")
    print(f"mcp_todo: MCP endpoint {settings.resource_url} (tokens from {settings.issuer})", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
