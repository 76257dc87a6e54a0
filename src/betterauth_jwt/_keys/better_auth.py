"""Where a Better Auth server publishes its keys and how it names itself, from its base URL (BETTER_AUTH.md §1, §6)."""

from __future__ import annotations

from urllib.parse import urlsplit

from .._errors import ConfigurationError

__all__ = ["BETTER_AUTH_BASE_PATH", "better_auth_origin", "jwks_url", "oauth_issuer"]

BETTER_AUTH_BASE_PATH = "/api/auth"


def better_auth_origin(base_url: str) -> str:
    """The origin Better Auth puts in ``iss`` and ``aud``: ``new URL(baseURL).origin`` (no path, no default port)."""
    if not isinstance(base_url, str):
        raise ConfigurationError("base_url must be a string such as https://app.example.com")
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError:
        raise ConfigurationError("base_url is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("base_url must be an http(s) URL such as https://app.example.com")
    host = parts.hostname
    if not host.isascii():  # new URL() gives an internationalised host in its punycode (ASCII) form
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ConfigurationError("base_url has a host name that is not valid") from None
    host = host if ":" not in host else f"[{host}]"
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port in (None, default_port) else f"{scheme}://{host}:{port}"


def _auth_path(base_url: str) -> str:
    """Better Auth's base path under ``base_url``: ``/api/auth`` unless the URL already ends with it."""
    path = urlsplit(base_url).path.rstrip("/")
    return path if path.endswith(BETTER_AUTH_BASE_PATH) else path + BETTER_AUTH_BASE_PATH


def jwks_url(base_url: str) -> str:
    return f"{better_auth_origin(base_url)}{_auth_path(base_url)}/jwks"


def oauth_issuer(base_url: str) -> str:
    """What ``@better-auth/oauth-provider`` puts in ``iss`` by default: the origin plus the base path (``/api/auth``).
    With ``jwt({ jwt: { issuer } })`` set, that value instead: pass ``issuer=`` then."""
    return f"{better_auth_origin(base_url)}{_auth_path(base_url)}"
