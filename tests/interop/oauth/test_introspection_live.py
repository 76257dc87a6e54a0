"""``OAuthVerifier(..., introspection=TokenIntrospection(...))`` against a real Better Auth OAuth provider.

Opaque access tokens (asked for without ``resource``) become grants through Better Auth's RFC 7662 endpoint, with the
client credentials of the client the token was issued to (Better Auth answers ``active: true`` for an audience-less
token to that client alone: any other client gets ``active: false``, so a 401). A token revoked at ``/oauth2/revoke``
is refused once the cache bound has passed, and a stopped server is a 503, never a 401.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from betterauth_jwt import (
    AccessGrant,
    BetterAuthJWTError,
    InvalidTokenError,
    KeysUnavailableError,
    OAuthVerifier,
    StaticJWKS,
    TokenIntrospection,
)
from tests.interop.harness import HarnessError
from tests.interop.oauth.harness import (
    MACHINE_SCOPES,
    RESOURCE,
    WEB_REDIRECT_URI,
    Client,
    OAuthProviderServer,
    Provider,
)


@dataclass
class Setup:
    server: OAuthProviderServer
    provider: Provider
    web: Client  # a confidential web client (client_secret_basic) that asks for tokens without a resource
    machine: Client  # a client_credentials client registered for client_secret_post
    jwks: dict[str, Any]
    made: list[TokenIntrospection] = field(default_factory=list)

    def close(self) -> None:
        for introspection in self.made:
            introspection.close()
        self.provider.close()

    def introspection(self, client: Client, **options: Any) -> TokenIntrospection:
        assert client.client_secret is not None
        method = "client_secret_post" if client is self.machine else "client_secret_basic"
        return self.keep(
            TokenIntrospection.for_better_auth(
                self.server.base_url,
                client_id=client.client_id,
                client_secret=client.client_secret,
                auth_method=method,
                **options,
            )
        )

    def keep(self, introspection: TokenIntrospection) -> TokenIntrospection:
        """Closed with the setup: a dropped keep-alive connection would be a ResourceWarning."""
        self.made.append(introspection)
        return introspection

    def verifier(self, client: Client, **options: Any) -> OAuthVerifier:
        clock = options.pop("clock", None)
        extra = {} if clock is None else {"clock": clock}
        return OAuthVerifier(
            StaticJWKS(self.jwks),
            issuer=self.server.issuer,
            resource=RESOURCE,
            introspection=self.introspection(client, **options),
            **extra,
        )

    def opaque_user_token(self, scope: str = "offline_access todos:read") -> dict[str, Any]:
        code, verifier = self.provider.authorize(self.web, scope)
        response = self.provider.exchange_code(self.web, code, verifier)
        assert "." not in response["access_token"]
        return response

    def opaque_machine_token(self) -> str:
        assert self.machine.client_secret is not None
        form = {
            "grant_type": "client_credentials",
            "scope": " ".join(MACHINE_SCOPES),
            "client_id": self.machine.client_id,
            "client_secret": self.machine.client_secret,
        }
        response = httpx.post(self.server.api_url + "/oauth2/token", data=form, timeout=10.0)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        assert "." not in token
        return token

    def revoke(self, token: str) -> None:
        assert self.web.client_secret is not None
        response = httpx.post(
            self.server.api_url + "/oauth2/revoke",
            data={"token": token, "token_type_hint": "access_token"},
            auth=(self.web.client_id, self.web.client_secret),
            timeout=10.0,
        )
        assert response.status_code == 200, response.text


# The clients: one that obtains opaque user tokens (client_secret_basic), one with client_credentials registered for
# client_secret_post (dynamic registration refuses client_credentials; the admin API does not).
WEB_CLIENT = {
    "client_name": "todo web app",
    "redirect_uris": [WEB_REDIRECT_URI],
    "grant_types": ["authorization_code", "refresh_token"],
    "token_endpoint_auth_method": "client_secret_basic",
}
POST_MACHINE_CLIENT = {
    "client_name": "todo resource server (post)",
    "grant_types": ["client_credentials"],
    "token_endpoint_auth_method": "client_secret_post",
    "client_credentials_scopes": list(MACHINE_SCOPES),
}


def start(server: OAuthProviderServer) -> Setup:
    provider = Provider(server)
    try:
        provider.sign_up()
        machine = provider.admin_create_client(**POST_MACHINE_CLIENT)
        provider.sign_out()  # the browser flows start signed out
        return Setup(server, provider, provider.register_client(**WEB_CLIENT), machine, provider.jwks())
    except HarnessError as exc:
        provider.close()
        raise HarnessError(f"{exc}\nserver log:\n{server.stderr_text()}") from exc


@pytest.fixture(scope="module", params=("default", "issuer-origin"))
def setup(request: pytest.FixtureRequest, oauth_node_project: None) -> Iterator[Setup]:
    with OAuthProviderServer(request.param) as server:
        ready = start(server)
        yield ready
        ready.close()


def code(verifier: OAuthVerifier, token: str) -> str:
    try:
        verifier.verify(token)
    except BetterAuthJWTError as exc:
        return exc.code
    return "accepted"


def test_an_opaque_user_token_is_a_grant(setup: Setup) -> None:
    token = setup.opaque_user_token()["access_token"]
    verifier = setup.verifier(setup.web)
    grant = verifier.verify(token)
    assert isinstance(grant, AccessGrant)
    assert grant.user_id == setup.provider.user["id"]
    assert grant.client_id == setup.web.client_id
    assert grant.scopes == {"offline_access", "todos:read"}
    assert grant.audience == ()  # Better Auth's opaque tokens have none
    assert grant.issuer == setup.server.issuer
    assert grant.session_id is not None
    assert not grant.is_machine


@pytest.mark.anyio
async def test_averify_against_the_real_endpoint(setup: Setup) -> None:
    token = setup.opaque_user_token()["access_token"]
    verifier = setup.verifier(setup.web)
    grant = await verifier.averify(token)
    assert grant.user_id == setup.provider.user["id"]
    assert verifier.introspection is not None
    await verifier.introspection.aclose()


def test_an_opaque_machine_token_with_client_secret_post(setup: Setup) -> None:
    grant = setup.verifier(setup.machine).verify(setup.opaque_machine_token())
    assert grant.is_machine
    assert grant.user_id is None
    assert grant.client_id == setup.machine.client_id
    assert grant.scopes == set(MACHINE_SCOPES)


def test_another_client_cannot_vouch_for_the_token(setup: Setup) -> None:
    # The resource server's own client did not obtain this token: Better Auth answers active: false.
    token = setup.opaque_user_token()["access_token"]
    with pytest.raises(InvalidTokenError) as raised:
        setup.verifier(setup.machine).verify(token)
    assert raised.value.code == "inactive_token"


def test_a_refresh_token_is_not_an_access_token(setup: Setup) -> None:
    refresh = setup.opaque_user_token()["refresh_token"]
    assert code(setup.verifier(setup.web), refresh) == "inactive_token"


def test_jwt_access_tokens_are_verified_locally(setup: Setup) -> None:
    code_, verifier = setup.provider.authorize(setup.web, "todos:read", resource=RESOURCE)
    token = setup.provider.exchange_code(setup.web, code_, verifier)["access_token"]
    assert token.count(".") == 2
    oauth = setup.verifier(setup.web)
    assert oauth.verify(token).client_id == setup.web.client_id
    assert oauth.introspection is not None
    assert len(oauth.introspection.cache) == 0  # never asked


def test_revocation_is_honoured_once_the_cache_bound_passes(setup: Setup) -> None:
    token = setup.opaque_user_token()["access_token"]
    now = [0.0]
    base = time.time()
    cached = setup.verifier(setup.web, cache_ttl=30, clock=lambda: base + now[0])
    uncached = setup.verifier(setup.web, cache_ttl=0)
    assert code(cached, token) == code(uncached, token) == "accepted"
    setup.revoke(token)
    assert code(uncached, token) == "inactive_token"  # no cache: the next call sees it
    now[0] = 29
    assert code(cached, token) == "accepted"  # within the cache bound: the answer of 29 s ago
    now[0] = 30
    assert code(cached, token) == "inactive_token"


def test_wrong_client_authentication_is_an_outage_not_a_bad_token(setup: Setup) -> None:
    token = setup.opaque_user_token()["access_token"]
    assert setup.web.client_secret is not None
    introspection = setup.keep(
        TokenIntrospection.for_better_auth(
            setup.server.base_url,
            client_id=setup.web.client_id,
            client_secret=setup.web.client_secret,
            auth_method="client_secret_post",  # registered for client_secret_basic: Better Auth refuses the client
        )
    )
    verifier = OAuthVerifier(
        StaticJWKS(setup.jwks), issuer=setup.server.issuer, resource=RESOURCE, introspection=introspection
    )
    with pytest.raises(KeysUnavailableError) as raised:
        verifier.verify(token)
    assert raised.value.code == "introspection_unavailable"


def test_a_stopped_server_is_a_503(oauth_node_project: None) -> None:
    with OAuthProviderServer("default") as server:
        ready = start(server)
        try:
            token = ready.opaque_user_token()["access_token"]
            verifier = ready.verifier(ready.web)
            assert verifier.verify(token).client_id == ready.web.client_id
            server.stop()
            assert verifier.introspection is not None
            verifier.introspection.clear_cache()
            with pytest.raises(KeysUnavailableError) as raised:
                verifier.verify(token)
            assert raised.value.code == "introspection_unavailable"
            assert token not in str(raised.value)
        finally:
            ready.close()
