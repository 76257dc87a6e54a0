"""The ``mcp`` SDK's face: ``BetterAuthTokenVerifier`` (its ``TokenVerifier``) and ``auth_settings`` (its
``AuthSettings``), for mcp 2.x (``mcp.server.mcpserver.MCPServer``) and 1.x (``mcp.server.fastmcp.FastMCP``)::

    from mcp.server.mcpserver import MCPServer  # mcp 1.x: from mcp.server.fastmcp import FastMCP
    from betterauth_jwt import OAuthVerifier
    from betterauth_jwt.mcp import BetterAuthTokenVerifier, KeysUnavailableMiddleware, auth_settings

    oauth = OAuthVerifier.for_better_auth("https://auth.example.com", resource="https://api.example.com/mcp")
    server = MCPServer("todos", token_verifier=BetterAuthTokenVerifier(oauth), auth=auth_settings(oauth))
    app = server.streamable_http_app()
    app.add_middleware(KeysUnavailableMiddleware)  # a JWKS outage answers 503, not the SDK's 500

The SDK never decodes a token: it asks the verifier, which checks the signature, ``typ: at+jwt``, the issuer, the
audience (the resource, RFC 8707), the expiry; refuses first-party JWTs, id_tokens and DPoP-bound tokens; and returns
an ``AccessToken`` whose ``resource`` is the configured resource, so the SDK's own ``validate_token_resource`` check
agrees. A refused token is ``None`` (the SDK answers 401 with ``resource_metadata``) and an ``AuthOutcome`` to
``on_outcome``; it never raises into the SDK, except :class:`~betterauth_jwt.KeysUnavailableError` (an outage, not a bad
token), which :class:`KeysUnavailableMiddleware` answers with 503. The server's required scopes are the SDK's to check
(403 ``insufficient_scope``): ``auth_settings`` passes the verifier's on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

try:
    from mcp.server.auth.provider import AccessToken
    from mcp.server.auth.settings import AuthSettings
except ImportError as exc:  # pragma: no cover - exercised without mcp installed
    raise ImportError("mcp must be installed to use betterauth_jwt.mcp: pip install 'betterauth-jwt[mcp]'") from exc

from ._errors import ConfigurationError
from ._oauth_verifier import OAuthVerifier
from ._web.token_seam import KeysUnavailableMiddleware, SeamTokenVerifier, server_scopes

__all__ = ["BetterAuthTokenVerifier", "KeysUnavailableMiddleware", "auth_settings"]


class BetterAuthTokenVerifier(SeamTokenVerifier[AccessToken]):
    """The SDK's ``TokenVerifier`` protocol over an :class:`~betterauth_jwt.OAuthVerifier`:
    ``BetterAuthTokenVerifier(oauth_verifier, on_outcome=None)``; ``await verify_token(token)`` and, in a tool,
    ``await grant(get_access_token())`` for the :class:`~betterauth_jwt.AccessGrant`."""

    token_type = AccessToken

    def __repr__(self) -> str:
        return f"BetterAuthTokenVerifier({self.verifier!r})"


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def auth_settings(
    verifier: OAuthVerifier,
    *,
    resource_server_url: str | None = None,
    required_scopes: Iterable[str] | None = None,
    **settings: Any,
) -> AuthSettings:
    """The SDK's ``AuthSettings`` for ``verifier``: ``issuer_url`` Better Auth's issuer (the SDK lists it in its RFC 9728
    metadata), ``resource_server_url`` the verifier's resource, ``required_scopes`` the verifier's (and these), and
    ``validate_token_resource=True``. Other keyword arguments go to ``AuthSettings``."""
    if not isinstance(verifier, OAuthVerifier):
        raise ConfigurationError("auth_settings() needs the OAuthVerifier given to BetterAuthTokenVerifier")
    url = resource_server_url or verifier.resource
    if not _same_url(url, verifier.resource):
        raise ConfigurationError(
            f"resource_server_url {url!r} is not the verifier's resource {verifier.resource!r}: tokens are issued "
            "for one resource, and the SDK would refuse every one of them"
        )
    return AuthSettings(
        issuer_url=verifier.issuer,  # type: ignore[arg-type]  # pydantic validates the string
        resource_server_url=url,  # type: ignore[arg-type]
        # None, not []: the SDK publishes these as the metadata's scopes_supported, and its client asks for exactly
        # those, so an empty list would make it ask for no scope at all (Better Auth refuses that).
        required_scopes=server_scopes(verifier, required_scopes) or None,
        validate_token_resource=True,
        **settings,
    )
