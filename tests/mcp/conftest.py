"""A real Better Auth OAuth provider (configuration ``mcp``) whose resource is an MCP server on a loopback port, and
that server under uvicorn: the ``mcp`` SDK's, and fastmcp's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from betterauth_jwt import OAuthVerifier
from tests.interop.oauth import conftest as oauth_conftest
from tests.interop.oauth.harness import NATIVE_REDIRECT_URI, DPoPKey, OAuthProviderServer, Provider
from tests.mcp.servers import Uvicorn, free_socket


class Clock:
    """The MCP server's clock: the real time plus an offset a test may move (to see a token expire)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Deployment:
    """Better Auth, an MCP server protected by it, and the verifier the server uses."""

    auth: OAuthProviderServer
    mcp: Uvicorn
    verifier: OAuthVerifier
    other_resource: str
    clock: Clock
    auth_face: str
    providers: list[Provider] = field(default_factory=list)

    @property
    def mcp_url(self) -> str:
        return f"{self.mcp.base_url}/mcp"

    def token(self, provider: Provider, scope: str, *, resource: str | None = None, dpop: bool = False) -> str:
        """An access token that ``provider``'s user granted a fresh native client (the harness's flows)."""
        client = provider.register_client(
            client_name="e2e token",
            application_type="native",
            redirect_uris=[NATIVE_REDIRECT_URI],
            grant_types=["authorization_code"],
            token_endpoint_auth_method="none",
        )
        code, verifier = provider.authorize(client, scope, resource=resource or self.mcp_url)
        response = provider.exchange_code(client, code, verifier, dpop=DPoPKey() if dpop else None)
        token: str = response["access_token"]
        return token

    def user(self, email: str, password: str = "correct horse battery staple") -> Provider:
        provider = Provider(self.auth)
        self.providers.append(provider)
        provider.sign_up(email=email, password=password, name=email.split("@")[0])
        return provider


# What the servers require of every token (the SDK answers 403 without it); add_todo also needs todos:write.
REQUIRED_SCOPES = ("todos:read",)

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
            clock = Clock()
            verifier = OAuthVerifier.for_better_auth(
                auth.base_url, resource=resource, required_scopes=REQUIRED_SCOPES, clock=clock
            )
            if build == "fastmcp":
                app = servers.fastmcp_app(verifier, mcp.base_url)
            else:
                app = servers.sdk_app(verifier, middleware=build == "sdk-middleware")
            mcp.start(app)
            deployment = Deployment(auth, mcp, verifier, other, clock, build)
            yield deployment
            for provider in deployment.providers:
                provider.close()
    finally:
        mcp.stop()


@pytest.fixture(scope="session")
def sdk_deployment(oauth_node_project: None) -> Iterator[Deployment]:
    yield from deploy("sdk")


@pytest.fixture(scope="session")
def fastmcp_deployment(oauth_node_project: None) -> Iterator[Deployment]:
    pytest.importorskip("fastmcp", reason="fastmcp is tested with mcp 2.x (the main environment)")
    yield from deploy("fastmcp")


@pytest.fixture(scope="session")
def sdk_middleware_deployment(oauth_node_project: None) -> Iterator[Deployment]:
    """The SDK's server with BetterAuthMiddleware in front."""
    yield from deploy("sdk-middleware")


@pytest.fixture(params=["sdk", "sdk_middleware", "fastmcp"])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """Each MCP server in turn, for what all must answer alike."""
    found: Deployment = request.getfixturevalue(f"{request.param}_deployment")
    return found
