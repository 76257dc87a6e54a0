"""betterauth_jwt.litestar with Litestar's TestClient, and under uvicorn with a real JWKS server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from betterauth_jwt import RemoteJWKS, Verifier
from betterauth_jwt.testing import JWKSServer
from tests._adapter_support import JSON, REALM_CHALLENGE, unavailable_verifier
from tests.frameworks._support import HOSTILE, NON_LATIN_1, TOKENS, Uvicorn, bearer
from tests.frameworks.litestar_app import create_app

TOKEN = TOKENS.access_token("user_1")
ADMIN = TOKENS.access_token("root", role="admin")


@pytest.fixture
def client() -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(TOKENS.verifier())) as running:
        yield running


def test_request_user_and_auth(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/me", headers=bearer(ADMIN))
    assert response.status_code == 200
    assert response.json() == {"user_id": "root", "notes": [], "scopes": ["authenticated", "role:admin"]}


def test_missing_token(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == JSON
    assert response.headers["www-authenticate"] == REALM_CHALLENGE
    assert response.json() == {"detail": "authentication required", "code": "missing_token"}


def test_public_path_excluded_route_and_preflight(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/health").json() == {"ok": True}
    assert client.get("/open").json() == {"open": True}
    assert client.get("/health/../me").status_code == 401
    preflight = client.options("/me", headers={"Origin": "https://x.test", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code != 401


def test_optional_mode_leaves_it_to_guards() -> None:
    with TestClient(create_app(TOKENS.verifier(), required=False)) as client:
        assert client.get("/maybe").json() == {"user_id": None}
        assert client.get("/admin").status_code == 401
        assert client.get("/maybe", headers=bearer(TOKENS.expired_token())).status_code == 401


def test_guards(client: TestClient) -> None:  # type: ignore[type-arg]
    refused = client.get("/admin", headers=bearer(TOKEN))
    assert refused.status_code == 403
    assert refused.json() == {"detail": "the admin role is required", "code": "insufficient_scope"}
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert client.get("/admin", headers=bearer(ADMIN)).json() == {"admin": "root"}
    assert client.get("/todos", headers=bearer(TOKEN)).status_code == 403
    scoped = TOKENS.access_token("user_2", scope="todos:read")
    assert client.get("/todos", headers=bearer(scoped)).json() == {"todos": ["call Ada"]}


@pytest.mark.parametrize("value", [*(value.encode("latin-1") for value in HOSTILE), NON_LATIN_1.encode()])
def test_hostile_headers_are_401_never_500(client: TestClient, value: bytes) -> None:  # type: ignore[type-arg]
    response = client.get("/me", headers={"Authorization": value})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith(REALM_CHALLENGE)


def test_keys_unavailable() -> None:
    with TestClient(create_app(unavailable_verifier(TOKENS))) as client:
        response = client.get("/me", headers=bearer(TOKEN))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "13"


def test_openapi_security_scheme(client: TestClient) -> None:  # type: ignore[type-arg]
    schema = client.get("/schema/openapi.json", headers=bearer(TOKEN)).json()
    assert schema["components"]["securitySchemes"]["BetterAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A Better Auth JWT."
    }  # fmt: skip
    assert {"BetterAuth": []} in schema["security"]


def test_under_uvicorn_with_a_real_jwks_server() -> None:
    with JWKSServer(TOKENS) as jwks, RemoteJWKS(jwks.url) as keys:
        verifier = Verifier(keys, issuer=TOKENS.issuer, audience=TOKENS.audience, clock=TOKENS.clock)
        with Uvicorn(create_app(verifier)) as server:
            status, _, body = server.get("/me", bearer(TOKEN))
            assert (status, json.loads(body)["user_id"]) == (200, "user_1")
            status, _, body = server.get("/me", [("Authorization", f"Bearer {TOKEN}")] * 2)
            assert (status, json.loads(body)["code"]) == (401, "malformed_authorization")
            for value in [*HOSTILE, "bearer \xe9.\xe9.\xe9"]:
                status, headers, _ = server.get("/me", {"Authorization": value})
                assert status == 401, value
                assert headers["www-authenticate"].startswith(REALM_CHALLENGE)
        assert jwks.hits == 1
        with Uvicorn(
            create_app(Verifier(RemoteJWKS(jwks.url), issuer=TOKENS.issuer, audience=TOKENS.audience))
        ) as down:
            jwks.fail(502)
            status, headers, _ = down.get("/me", bearer(TOKEN))
            assert status == 503
            assert int(headers["retry-after"]) >= 1


def test_public_path_is_not_checked(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/health", headers={"Authorization": "Bearer not-a-jwt"}).json() == {"ok": True}
