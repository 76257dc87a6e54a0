"""fastmcp's face: ``BetterAuthProvider``, a ``RemoteAuthProvider`` for tokens from Better Auth's OAuth provider::

    from fastmcp import FastMCP
    from betterauth_jwt import OAuthVerifier
    from betterauth_jwt.fastmcp import BetterAuthProvider

    oauth = OAuthVerifier.for_better_auth("https://auth.example.com", resource="https://api.example.com/mcp")
    mcp = FastMCP("todos", auth=BetterAuthProvider(oauth, base_url="https://api.example.com"))

The provider verifies tokens with the :class:`~betterauth_jwt.OAuthVerifier` (signature, ``typ: at+jwt``, issuer, the
audience bound to the resource, expiry; first-party JWTs, id_tokens and DPoP-bound tokens refused), publishes RFC 9728
metadata naming Better Auth's issuer as the authorization server, and requires the verifier's ``required_scopes`` (403
``insufficient_scope`` from fastmcp). The MCP endpoint's URL (``base_url`` plus the server's path, ``/mcp`` by default)
must be the verifier's resource: a mismatch fails when the app is built, not on every request. A JWKS outage answers
503 with ``Retry-After``, never 401.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

try:
    from fastmcp.server.auth import AccessToken, RemoteAuthProvider, TokenVerifier
    from pydantic import AnyHttpUrl
    from starlette.middleware import Middleware
except ImportError as exc:  # pragma: no cover - exercised without fastmcp installed
    raise ImportError(
        "fastmcp must be installed to use betterauth_jwt.fastmcp: pip install 'betterauth-jwt[fastmcp]'"
    ) from exc

from ._errors import ConfigurationError
from ._kinds.oauth import AccessGrant
from ._oauth_verifier import OAuthVerifier
from ._web.metadata import ResourceMetadata
from ._web.outcome import OnOutcome
from ._web.token_seam import KeysUnavailableMiddleware, SeamTokenVerifier, server_scopes

__all__ = ["BetterAuthProvider", "BetterAuthTokenVerifier"]


class BetterAuthTokenVerifier(SeamTokenVerifier[AccessToken], TokenVerifier):
    """fastmcp's ``TokenVerifier`` over an :class:`~betterauth_jwt.OAuthVerifier` (for ``MultiAuth`` and the like;
    :class:`BetterAuthProvider` is the whole setup). ``await grant(get_access_token())`` in a tool gives the
    :class:`~betterauth_jwt.AccessGrant`."""

    token_type = AccessToken

    def __init__(
        self, verifier: OAuthVerifier, *, base_url: str | None = None, on_outcome: OnOutcome | None = None
    ) -> None:
        SeamTokenVerifier.__init__(self, verifier, on_outcome=on_outcome)
        TokenVerifier.__init__(self, base_url=base_url, required_scopes=server_scopes(verifier, None))


class BetterAuthProvider(RemoteAuthProvider):
    """``FastMCP(auth=BetterAuthProvider(oauth_verifier, base_url=...))``: see the module docstring."""

    def __init__(
        self,
        verifier: OAuthVerifier,
        *,
        base_url: str,
        required_scopes: Iterable[str] | None = None,
        scopes_supported: Iterable[str] | None = None,
        resource_name: str | None = None,
        on_outcome: OnOutcome | None = None,
    ) -> None:
        token_verifier = BetterAuthTokenVerifier(verifier, base_url=base_url, on_outcome=on_outcome)
        metadata = ResourceMetadata.for_verifier(
            verifier, scopes_supported=scopes_supported, resource_name=resource_name
        )
        scopes = server_scopes(verifier, required_scopes)
        super().__init__(
            token_verifier=token_verifier,
            # The issuer as a string, not AnyHttpUrl(...): a bare-origin issuer (jwt.issuer = origin) would gain a
            # trailing slash, and clients compare the issuer exactly (RFC 8414 section 3.3).
            authorization_servers=[cast(AnyHttpUrl, verifier.issuer)],
            base_url=base_url,
            scopes_supported=list(metadata.scopes_supported or scopes),
            resource_name=resource_name,
            required_scopes=scopes,
        )
        self.verifier = verifier

    async def grant(self, access_token: AccessToken) -> AccessGrant:
        """See :meth:`BetterAuthTokenVerifier.grant`."""
        token_verifier = cast(BetterAuthTokenVerifier, self.token_verifier)
        return await token_verifier.grant(access_token)

    def __repr__(self) -> str:
        return f"BetterAuthProvider({self.verifier!r}, base_url={str(self.base_url)!r})"

    def set_mcp_path(self, mcp_path: str | None) -> None:
        super().set_mcp_path(mcp_path)
        served = str(self._resource_url or "").rstrip("/")
        if served.lower() != self.verifier.resource.rstrip("/").lower():
            raise ConfigurationError(
                f"this MCP server's URL is {served!r} (base_url plus its path) but the verifier accepts tokens for "
                f"{self.verifier.resource!r}: make them the same, or every token will be refused"
            )

    def get_middleware(self) -> list[Any]:
        # Outermost: fastmcp's authentication middleware would turn the outage into a 500.
        return [Middleware(KeysUnavailableMiddleware), *super().get_middleware()]
