"""Configuration from the environment, checked in full at start-up (a mistake names the variable to fix).

Shares the todo API's database settings (``DATABASE_URL``, same default file), so the MCP server and the todo API
serve the same todos.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from todo_api.settings import DEFAULT_DATABASE_URL, SettingsError, database_url_from, port_from

from betterauth_jwt import ConfigurationError, OAuthVerifier

DEFAULT_BETTER_AUTH_URL = "http://localhost:3000"
DEFAULT_RESOURCE_URL = "http://127.0.0.1:8001/mcp"

__all__ = ["DEFAULT_BETTER_AUTH_URL", "DEFAULT_RESOURCE_URL", "Settings", "SettingsError", "oauth_verifier_from"]


def resource_url_from(raw: str) -> str:
    """The MCP server's own URL as clients address it: the RFC 8707 resource its tokens must name in ``aud``."""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError("MCP_RESOURCE_URL", f"{raw!r} is not a URL such as {DEFAULT_RESOURCE_URL}")
    if parts.path in ("", "/"):
        raise SettingsError("MCP_RESOURCE_URL", f"{raw!r} needs a path for the MCP endpoint, such as /mcp")
    return raw.rstrip("/")


def origin_of(url: str, variable: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(variable, f"{url!r} is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


def oauth_verifier_from(better_auth_url: str, resource: str, issuer: str | None) -> OAuthVerifier:
    """Access tokens from the Better Auth OAuth provider at ``better_auth_url``, for ``resource``; keys from its
    JWKS. The example front end sets ``jwt({ jwt: { issuer: origin } })``, so ``iss`` is its origin by default."""
    try:
        return OAuthVerifier.for_better_auth(
            better_auth_url, resource=resource, issuer=issuer or origin_of(better_auth_url, "BETTER_AUTH_URL")
        )
    except ConfigurationError as exc:
        raise SettingsError("BETTER_AUTH_URL", exc.description) from None


@dataclass(frozen=True, slots=True)
class Settings:
    verifier: OAuthVerifier
    resource_url: str = DEFAULT_RESOURCE_URL
    database_url: str = database_url_from(DEFAULT_DATABASE_URL)
    host: str = "127.0.0.1"
    port: int = 8001

    @property
    def issuer(self) -> str:
        return self.verifier.issuer

    @property
    def mcp_path(self) -> str:
        """The path the MCP endpoint is served at: the resource URL's path (``/mcp``)."""
        return urlsplit(self.resource_url).path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        resource_url = resource_url_from(environ.get("MCP_RESOURCE_URL") or DEFAULT_RESOURCE_URL)
        database_url = database_url_from(environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        port = port_from(environ.get("PORT") or str(urlsplit(resource_url).port or 8001))
        host = environ.get("HOST") or "127.0.0.1"
        better_auth_url = environ.get("BETTER_AUTH_URL") or DEFAULT_BETTER_AUTH_URL
        issuer = environ.get("BETTER_AUTH_ISSUER") or None
        verifier = oauth_verifier_from(better_auth_url, resource_url, issuer)  # last: it owns HTTP clients
        return cls(verifier=verifier, resource_url=resource_url, database_url=database_url, host=host, port=port)
