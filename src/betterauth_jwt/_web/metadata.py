"""RFC 9728 OAuth 2.0 Protected Resource Metadata: the document an OAuth resource server (an MCP server) publishes so
that a client can find the authorization server that issues its tokens, and where that document lives.

For the resource ``https://api.example.com/mcp`` the document is at
``https://api.example.com/.well-known/oauth-protected-resource/mcp`` (section 3.1: the well-known segment goes between
the host and the path); a 401's ``WWW-Authenticate: Bearer resource_metadata="..."`` points there (section 5.1).

The document is public: anyone may read it, browsers included (MCP Inspector runs in one), so it is served with
``Access-Control-Allow-Origin: *`` (it carries no credentials) and may be cached for a while.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .._errors import ConfigurationError
from .._kinds.oauth import parse_scope
from .._oauth_verifier import OAuthVerifier
from .asgi_types import Receive, Scope, Send
from .denial import NOT_QUOTABLE

__all__ = [
    "METADATA_METHODS",
    "WELL_KNOWN_PATH",
    "MetadataEndpoint",
    "ResourceMetadata",
    "authorization_endpoints",
    "metadata_endpoints",
    "metadata_url",
]

WELL_KNOWN_PATH = "/.well-known/oauth-protected-resource"
METADATA_METHODS = ("GET", "HEAD", "OPTIONS")
CACHE_SECONDS = 3600

_CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
    ("Access-Control-Allow-Headers", "*"),
    ("Access-Control-Max-Age", "86400"),
)


def _split_resource(resource: str) -> tuple[str, str]:
    """(origin, path) of an https (or loopback http) resource identifier without query or fragment (RFC 9728 s. 1.2)."""
    parts = urlsplit(resource)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            "the resource must be an absolute https URL without query or fragment, e.g. https://api.example.com/mcp"
        )
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def metadata_url(resource: str) -> str:
    """The absolute URL of ``resource``'s metadata document (RFC 9728 section 3.1)."""
    origin, path = _split_resource(resource)
    return f"{origin}{WELL_KNOWN_PATH}{path}"


def authorization_endpoints(issuer: str) -> tuple[str, str]:
    """Better Auth's authorization and token endpoints for OAuth tokens with ``iss`` = ``issuer``: under the issuer
    (``<origin>/api/auth`` by default), or under ``<origin>/api/auth`` when ``jwt.issuer`` is the bare origin."""
    parts = urlsplit(issuer)
    base = issuer.rstrip("/") if parts.path.strip("/") else f"{parts.scheme}://{parts.netloc}/api/auth"
    return f"{base}/oauth2/authorize", f"{base}/oauth2/token"


@dataclass(frozen=True, slots=True)
class ResourceMetadata:
    """The metadata document of one protected resource, and how to answer a request for it."""

    resource: str
    authorization_servers: tuple[str, ...]
    scopes_supported: tuple[str, ...] = ()
    resource_name: str | None = None

    @classmethod
    def for_verifier(
        cls, verifier: OAuthVerifier, *, scopes_supported: Iterable[str] | None = None, resource_name: str | None = None
    ) -> ResourceMetadata:
        """The document for ``verifier``'s resource, naming its issuer as the authorization server. ``scopes_supported``
        defaults to the verifier's required scopes."""
        if isinstance(scopes_supported, str):
            scopes_supported = scopes_supported.split()
        try:
            scopes = parse_scope(" ".join(scopes_supported if scopes_supported is not None else ()))
        except ValueError:
            raise ConfigurationError("scopes_supported must be scope names without spaces or quotes") from None
        if resource_name is not None and (not isinstance(resource_name, str) or not resource_name.strip()):
            raise ConfigurationError("resource_name must be a non-empty string")
        if NOT_QUOTABLE.search(metadata_url(verifier.resource)):
            raise ConfigurationError("the resource URL must be plain ASCII without quotes or backslashes")
        return cls(
            resource=verifier.resource,
            authorization_servers=(verifier.issuer,),
            scopes_supported=tuple(sorted(scopes | verifier.required_scopes)),
            resource_name=resource_name,
        )

    @property
    def url(self) -> str:
        return metadata_url(self.resource)

    @property
    def paths(self) -> tuple[str, ...]:
        """Where this server answers: the path-suffixed location (RFC 9728 section 3.1) and the bare one, which
        clients that do not insert the resource's path try too."""
        _, path = _split_resource(self.resource)
        return (f"{WELL_KNOWN_PATH}{path}", WELL_KNOWN_PATH) if path else (WELL_KNOWN_PATH,)

    def document(self) -> dict[str, object]:
        body: dict[str, object] = {
            "resource": self.resource,
            "authorization_servers": list(self.authorization_servers),
            "bearer_methods_supported": ["header"],
        }
        if self.scopes_supported:
            body["scopes_supported"] = list(self.scopes_supported)
        if self.resource_name is not None:
            body["resource_name"] = self.resource_name
        return body

    def respond(self, method: str) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
        """(status, headers, body) for a request with ``method`` to one of :attr:`paths`: the document for GET and
        HEAD (an empty body for HEAD), a CORS preflight answer for OPTIONS, 405 otherwise."""
        if method == "OPTIONS":
            return 204, _CORS_HEADERS, b""
        if method not in ("GET", "HEAD"):
            return 405, (("Allow", "GET, HEAD, OPTIONS"), *_CORS_HEADERS), b""
        body = json.dumps(self.document(), separators=(",", ":")).encode()
        headers = (
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", f"public, max-age={CACHE_SECONDS}"),
            *_CORS_HEADERS,
        )
        return 200, headers, body if method == "GET" else b""


class MetadataEndpoint:
    """The metadata document as a pure ASGI app: what ``BetterAuthMiddleware`` answers on :attr:`ResourceMetadata.paths`,
    and the endpoint of the Starlette and FastAPI routes for them."""

    def __init__(self, metadata: ResourceMetadata) -> None:
        self.metadata = metadata

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, headers, body = self.metadata.respond(scope.get("method", "GET"))
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def metadata_endpoints(
    verifier: OAuthVerifier, *, scopes_supported: Iterable[str] | None = None, resource_name: str | None = None
) -> dict[str, MetadataEndpoint]:
    """``{path: endpoint}`` for ``verifier``'s metadata document (each adapter routes these paths to it)."""
    endpoint = MetadataEndpoint(
        ResourceMetadata.for_verifier(verifier, scopes_supported=scopes_supported, resource_name=resource_name)
    )
    return dict.fromkeys(endpoint.metadata.paths, endpoint)
