"""Fixtures that run a real Better Auth OAuth 2.1 provider (server.mjs here) for the OAuth interop tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._support import unavailable
from tests.interop.harness import HarnessError, node_available
from tests.interop.oauth.harness import CONFIGS, OAuthProviderServer, OAuthTokens, ensure_node_modules, issue_tokens


@pytest.fixture(scope="session")
def oauth_node_project() -> None:
    if not node_available():
        unavailable("Node >= 18 and npm are needed to run a real Better Auth OAuth provider")
    try:
        ensure_node_modules()
    except HarnessError as exc:
        unavailable(f"npm ci failed in tests/interop/oauth: {exc}")


@pytest.fixture(scope="module", params=CONFIGS)
def oauth_server(request: pytest.FixtureRequest, oauth_node_project: None) -> Iterator[OAuthProviderServer]:
    """A running provider, once per configuration ("default", "issuer-origin") and test module."""
    with OAuthProviderServer(request.param) as server:
        yield server


@pytest.fixture(scope="module")
def oauth_tokens(oauth_server: OAuthProviderServer) -> OAuthTokens:
    """Every flow driven once against the module's server (about a second)."""
    try:
        return issue_tokens(oauth_server)
    except HarnessError as exc:
        raise HarnessError(f"{exc}\nserver log:\n{oauth_server.stderr_text()}") from exc
