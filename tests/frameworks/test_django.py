"""betterauth_jwt.django and betterauth_jwt.rest_framework with Django's own test clients (sync and async stacks)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.test import AsyncClient, Client, override_settings

from betterauth_jwt import ConfigurationError, RemoteJWKS, Verifier
from betterauth_jwt.django import get_authenticator
from betterauth_jwt.testing import JWKSServer, TokenFactory
from tests._adapter_support import JSON, REALM_CHALLENGE, unavailable_verifier
from tests.frameworks import django_app
from tests.frameworks._support import HOSTILE, NON_LATIN_1, TOKENS, Uvicorn, Waitress, bearer

TOKEN = TOKENS.access_token("user_1", email="ada@example.com")
ADMIN = TOKENS.access_token("root", role="admin")
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def body(response: object) -> dict[str, object]:
    return json.loads(response.content)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _settings() -> Iterator[None]:
    with override_settings(**django_app.SETTINGS):
        yield


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=True)


def test_protected_view_with_a_token(client: Client) -> None:
    response = client.get("/me", **AUTH)
    assert response.status_code == 200
    assert body(response) == {"user_id": "user_1", "notes": ["buy milk"]}


def test_async_view_on_the_sync_stack(client: Client) -> None:
    assert body(client.get("/ame", **AUTH)) == {"user_id": "user_1", "async": True}


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/me", "/ame"])
async def test_async_stack(path: str) -> None:
    client = AsyncClient(raise_request_exception=True)
    response = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert body(response)["user_id"] == "user_1"
    refused = await client.get(path)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == REALM_CHALLENGE


def test_missing_token_is_401_json_not_a_redirect(client: Client) -> None:
    response = client.get("/me")
    assert response.status_code == 401
    assert response["Content-Type"] == JSON
    assert response["WWW-Authenticate"] == REALM_CHALLENGE
    assert body(response) == {"detail": "authentication required", "code": "missing_token"}


def test_lightweight_user_without_a_database(client: Client) -> None:
    assert body(client.get("/whoami", **AUTH)) == {
        "user_id": "user_1", "is_authenticated": True, "pk": "user_1", "username": "ada@example.com"
    }  # fmt: skip
    assert body(client.get("/whoami")) == {"user_id": None, "is_authenticated": False, "pk": None, "username": ""}


def test_invalid_token_refused_even_on_an_open_view(client: Client) -> None:
    response = client.get("/whoami", HTTP_AUTHORIZATION=f"Bearer {TOKENS.expired_token()}")
    assert response.status_code == 401
    assert body(response)["code"] == "token_expired"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("value", [*HOSTILE, NON_LATIN_1])
@pytest.mark.parametrize("path", ["/me", "/ame", "/drf/me"])
def test_hostile_headers_are_401_never_500(client: Client, path: str, value: str) -> None:
    response = client.get(path, HTTP_AUTHORIZATION=value)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith(REALM_CHALLENGE)
    assert value.strip().encode("utf-8") not in response.content or value.strip() == "Bearer"


def test_role_required(client: Client) -> None:
    refused = client.get("/admin", **AUTH)
    assert refused.status_code == 403
    assert body(refused)["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in refused["WWW-Authenticate"]
    assert body(client.get("/admin", HTTP_AUTHORIZATION=f"Bearer {ADMIN}")) == {"admin": "root"}


@pytest.mark.parametrize("path", ["/me", "/drf/me"])
def test_keys_unavailable_is_503_with_retry_after(client: Client, path: str) -> None:
    with override_settings(BETTERAUTH_JWT={"VERIFIER": unavailable_verifier(TOKENS)}):
        response = client.get(path, **AUTH)
    assert response.status_code == 503
    assert response["Retry-After"] == "13"
    assert "127.0.0.1:9" not in response.content.decode()


@override_settings(MIDDLEWARE=[])
def test_decorator_without_the_middleware(client: Client) -> None:
    assert body(client.get("/me", **AUTH))["user_id"] == "user_1"
    assert client.get("/me").status_code == 401
    assert client.get("/admin", **AUTH).status_code == 403


def test_required_mode_with_public_paths(client: Client) -> None:
    config = {**django_app.BETTERAUTH_JWT, "REQUIRED": True, "PUBLIC_PATHS": ["/whoami"]}
    with override_settings(BETTERAUTH_JWT=config):
        assert client.get("/whoami").status_code == 200
        assert client.get("/drf/me").status_code == 401
        assert client.get("/drf/me", **AUTH).status_code == 200


def test_settings_errors_name_the_setting() -> None:
    for value, fragment in [
        ({}, "BASE_URL"),
        ({"VERIFIER": "nowhere.verifier"}, "cannot import"),
        ({"VERIFIER": "os.sep"}, "must be a betterauth_jwt.Verifier"),
        ({"BASE_URL": "https://app.example.com", "TYPO": 1}, "unknown"),
    ]:
        with override_settings(BETTERAUTH_JWT=value), pytest.raises(ConfigurationError, match=fragment):
            get_authenticator()


def test_base_url_and_secret_settings() -> None:
    with override_settings(BETTERAUTH_JWT={"BASE_URL": "https://app.example.com", "SECRET": "s" * 40}):
        assert get_authenticator().verifier.issuer == "https://app.example.com"


# -- Django REST framework -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("middleware", [django_app.MIDDLEWARE, []])
def test_drf_authentication(client: Client, middleware: list[str]) -> None:
    with override_settings(MIDDLEWARE=middleware):
        assert body(client.get("/drf/me", **AUTH)) == {"user_id": "user_1", "pk": "user_1"}
        anonymous = client.get("/drf/me")
        assert anonymous.status_code == 401  # not 403: authenticate_header gives DRF a challenge
        assert anonymous["WWW-Authenticate"] == REALM_CHALLENGE


@override_settings(MIDDLEWARE=[])
def test_drf_refused_token_carries_the_error(client: Client) -> None:
    response = client.get("/drf/me", HTTP_AUTHORIZATION=f"Bearer {TOKENS.expired_token()}")
    assert response.status_code == 401
    assert body(response)["code"] == "token_expired"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_drf_role_and_scope_permissions(client: Client) -> None:
    refused = client.get("/drf/admin", **AUTH)
    assert refused.status_code == 403
    assert body(refused) == {"detail": "the admin role is required", "code": "insufficient_scope"}
    assert body(client.get("/drf/admin", HTTP_AUTHORIZATION=f"Bearer {ADMIN}")) == {"admin": "root"}
    assert client.get("/drf/todos", **AUTH).status_code == 403
    scoped = TOKENS.access_token("user_2", scope="openid todos:read")
    assert body(client.get("/drf/todos", HTTP_AUTHORIZATION=f"Bearer {scoped}")) == {"todos": ["call Ada"]}
    assert client.get("/drf/todos").status_code == 401


# -- real servers: uvicorn (ASGI) and waitress (WSGI), a real JWKS endpoint ----------------------------------------


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
def test_under_a_real_server_with_a_real_jwks_server(interface: str) -> None:
    with JWKSServer(TOKENS) as jwks, RemoteJWKS(jwks.url) as keys:
        verifier = Verifier(keys, issuer=TOKENS.issuer, audience=TOKENS.audience, clock=TOKENS.clock)
        server = (
            Uvicorn(get_asgi_application(), lifespan="off") if interface == "asgi" else Waitress(get_wsgi_application())
        )
        with override_settings(BETTERAUTH_JWT={"VERIFIER": verifier}), server:
            for path in ("/me", "/ame", "/drf/me"):
                status, _, content = server.get(path, bearer(TOKEN))
                assert (status, json.loads(content)["user_id"]) == (200, "user_1"), path
                status, headers, _ = server.get(path, [("Authorization", f"Bearer {TOKEN}")] * 2)
                assert status == 401
                for value in [*HOSTILE, "bearer \xe9.\xe9.\xe9"]:
                    status, headers, _ = server.get(path, {"Authorization": value})
                    assert status == 401, (path, value)
                    assert headers["www-authenticate"].startswith(REALM_CHALLENGE)
            assert jwks.hits == 1
        down = Verifier(RemoteJWKS(jwks.url), issuer=TOKENS.issuer, audience=TOKENS.audience, clock=TOKENS.clock)
        jwks.fail(502)
        server = (
            Uvicorn(get_asgi_application(), lifespan="off") if interface == "asgi" else Waitress(get_wsgi_application())
        )
        with override_settings(BETTERAUTH_JWT={"VERIFIER": down}), server:
            status, headers, _ = server.get("/me", bearer(TOKEN))
        assert status == 503
        assert int(headers["retry-after"]) >= 1


def test_async_view_without_the_middleware_under_wsgi_fetches_keys_more_than_once() -> None:
    # Under WSGI each async view runs in an event loop of its own: a fetch from each of them works (RemoteJWKS keeps
    # one single flight per loop and no connection pool tied to a loop).
    tokens = TokenFactory("ES256", issuer=TOKENS.issuer, clock=TOKENS.clock)
    with JWKSServer(tokens) as jwks, RemoteJWKS(jwks.url, refresh_cooldown=1) as keys:
        verifier = Verifier(keys, issuer=tokens.issuer, audience=tokens.audience, clock=tokens.clock)
        with (
            override_settings(MIDDLEWARE=[], BETTERAUTH_JWT={"VERIFIER": verifier}),
            Waitress(get_wsgi_application()) as server,
        ):
            for user in ("first", "second"):
                tokens.rotate()  # a new kid: a new fetch, once the cooldown has passed
                time.sleep(1.1)
                status, _, content = server.get("/ame", bearer(tokens.access_token(user)))
                assert (status, json.loads(content)["user_id"]) == (200, user)
        assert jwks.hits == 2
