"""What an MCP server protected by this package answers over HTTP, before any MCP message is handled, for the ``mcp``
SDK's server and fastmcp's alike: 401 with ``resource_metadata`` for every refused token (another resource's, a
first-party JWT, a DPoP-bound one, an expired one, garbage), 403 ``insufficient_scope`` without the required scope,
and the RFC 9728 document that names Better Auth."""

from __future__ import annotations

import httpx
import pytest

from tests.mcp.clients import post_initialize
from tests.mcp.conftest import Deployment

pytestmark = [pytest.mark.interop, pytest.mark.slow]


def metadata_challenge(deployment: Deployment) -> str:
    return f'resource_metadata="{deployment.mcp.base_url}/.well-known/oauth-protected-resource/mcp"'


def test_no_token_is_a_401_pointing_at_the_metadata(deployment: Deployment) -> None:
    response = post_initialize(deployment.mcp_url, None)
    assert response.status_code == 401
    assert metadata_challenge(deployment) in response.headers["www-authenticate"]
    # The server's RFC 9728 document (from auth_settings, or BetterAuthProvider): Better Auth's issuer, this resource,
    # the required scope.
    document = httpx.get(f"{deployment.mcp.base_url}/.well-known/oauth-protected-resource/mcp").json()
    assert document["resource"] == deployment.mcp_url
    assert document["authorization_servers"] == [deployment.auth.issuer]
    assert document["scopes_supported"] == ["todos:read"]


@pytest.mark.parametrize("case", ["other_resource", "first_party", "dpop_bound", "expired", "garbage"])
def test_refused_tokens_are_401_invalid_token(deployment: Deployment, case: str) -> None:
    provider = deployment.user(f"{case.replace('_', '-')}@example.test")
    if case == "other_resource":
        token = deployment.token(provider, "todos:read", resource=deployment.other_resource)
    elif case == "first_party":
        token = provider.first_party_token()  # /api/auth/token: signed by the same keys, another kind
    elif case == "dpop_bound":
        token = deployment.token(provider, "todos:read", dpop=True)
    elif case == "expired":
        token = deployment.token(provider, "todos:read")
        assert post_initialize(deployment.mcp_url, token).status_code == 200
        deployment.clock.offset = 3601  # Better Auth's access tokens live an hour
    else:
        token = "not.a.token"
    try:
        response = post_initialize(deployment.mcp_url, token)
    finally:
        deployment.clock.offset = 0
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge
    assert metadata_challenge(deployment) in challenge


def test_a_token_without_the_required_scope_is_a_403(deployment: Deployment) -> None:
    provider = deployment.user("no-scope@example.test")
    token = deployment.token(provider, "openid profile")
    response = post_initialize(deployment.mcp_url, token)
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert metadata_challenge(deployment) in challenge
    if deployment.auth_face == "sdk":  # the mcp SDK's RequireAuthMiddleware names it only in error_description
        assert 'error_description="Required scope: todos:read"' in challenge
    else:  # fastmcp, and BetterAuthMiddleware in front of the SDK's server
        assert 'scope="todos:read"' in challenge
