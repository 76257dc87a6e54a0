"""A real Better Auth OAuth provider (configuration ``mcp``) whose resource is an MCP server on a loopback port, and
that server under uvicorn: the ``mcp`` SDK's, and fastmcp's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from betterauth_jwt import OAuthVerifier
from tests.interop.oauth import conftest as oauth_conftest
from tests.interop.oauth.harness import OAuthProviderServer, Provider
from tests.mcp.servers import Uvicorn, free_socket


@dataclass
class Deployment:
    """Better Auth, an MCP server protected by it, and the verifier the server uses."""

    auth: OAuthProviderServer
    mcp: Uvicorn
    verifier: OAuthVerifier
    other_resource: str
    providers: list[Provider] = field(default_factory=list)

    @property
    def mcp_url(self) -> str:
        return f"{self.mcp.base_url}/mcp"

    def user(self, email: str, password: str = "correct horse battery staple") -> Provider:
        provider = Provider(self.auth)
        self.providers.append(provider)
        provider.sign_up(email=email, password=password, name=email.split("@")[0])
        return provider


# The OAuth interop tests' fixture (npm ci once, or skip without Node), visible here under the same name.
oauth_node_project = oauth_conftest.oauth_node_project


def deploy(build: str) -> Iterator[Deployment]:
    from tests.mcp import servers

    sock = free_socket()
    mcp = Uvicorn(sock)
    resource = f"{mcp.base_url}/mcp"
    other = "https://other.example.test/api"
    try:
        with OAuthProviderServer("mcp", resources=(resource, other)) as auth:
            verifier = OAuthVerifier.for_better_auth(auth.base_url, resource=resource)
            app = servers.sdk_app(verifier) if build == "sdk" else servers.fastmcp_app(verifier, mcp.base_url)
            mcp.start(app)
            deployment = Deployment(auth, mcp, verifier, other)
            yield deployment
            for provider in deployment.providers:
                provider.close()
    finally:
        mcp.stop()


@pytest.fixture(scope="module")
def sdk_deployment() -> Iterator[Deployment]:
    yield from deploy("sdk")


@pytest.fixture(scope="module")
def fastmcp_deployment() -> Iterator[Deployment]:
    yield from deploy("fastmcp")
