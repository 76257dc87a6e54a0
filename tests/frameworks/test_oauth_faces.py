"""The Django, DRF, Flask and Litestar faces as OAuth resource servers (an ``OAuthVerifier``), each with its own test
client: the grant is the principal, a missing scope is a 403 ``insufficient_scope`` naming it, a first-party JWT is a
401 ``wrong_token_kind`` whose challenge points at the RFC 9728 metadata, no token is a 401."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, JsonResponse
from django.test import Client, override_settings
from django.urls import path
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from litestar import Litestar, Request, get
from litestar.testing import TestClient

from betterauth_jwt import AccessGrant, Identity
from betterauth_jwt.django import auth_required
from betterauth_jwt.flask import BetterAuth as FlaskAuth
from betterauth_jwt.flask import current_identity
from betterauth_jwt.litestar import BetterAuth as LitestarAuth
from tests.frameworks import django_app
from tests.frameworks._support import TOKENS, bearer

django_app.configure()  # DRF reads Django's settings on import

from rest_framework.request import Request as DRFRequest  # noqa: E402
from rest_framework.response import Response as DRFResponse  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from betterauth_jwt.rest_framework import HasScope  # noqa: E402

RESOURCE = "https://api.example.com/todos"
METADATA = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/todos"'
VERIFIER = TOKENS.oauth_verifier(RESOURCE)
READ_ONLY = TOKENS.oauth_token("user_1", resource=RESOURCE, scopes=("todos:read",))
READ_WRITE = TOKENS.oauth_token("user_1", resource=RESOURCE, scopes=("todos:read", "todos:write"))
MACHINE = TOKENS.machine_token("cron", resource=RESOURCE, scopes=("todos:read", "todos:write"))
FIRST_PARTY = TOKENS.access_token("user_1")
CLIENT_ID = TOKENS.oauth_claims()["client_id"]


def grant_body(grant: Identity | AccessGrant) -> dict[str, Any]:
    assert isinstance(grant, AccessGrant)
    return {"subject": grant.subject, "client_id": grant.client_id, "user_id": grant.user_id}


def assert_insufficient(status: int, headers: Any, body: Any, scope: str) -> None:
    assert status == 403
    assert 'error="insufficient_scope"' in headers["WWW-Authenticate"]
    assert f'scope="{scope}"' in headers["WWW-Authenticate"]
    assert body["code"] == "insufficient_scope"


def assert_wrong_kind(status: int, headers: Any, body: Any) -> None:
    assert status == 401
    assert body["code"] == "wrong_token_kind"
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert METADATA in headers["WWW-Authenticate"]


def assert_missing(status: int, headers: Any, body: Any) -> None:
    assert status == 401
    assert body["code"] == "missing_token"
    assert headers["WWW-Authenticate"] == f'Bearer realm="api", {METADATA}'


# -- Django and DRF -------------------------------------------------------------------------------------------------


@auth_required
def me(request: HttpRequest) -> JsonResponse:
    return JsonResponse(grant_body(request.auth_identity))  # type: ignore[attr-defined]


@auth_required(scopes=["todos:write"])
async def write(request: HttpRequest) -> JsonResponse:
    return JsonResponse(grant_body(request.auth_identity))  # type: ignore[attr-defined]


class DRFWrite(APIView):  # type: ignore[misc]
    permission_classes = (HasScope("todos:write"),)

    def get(self, request: DRFRequest) -> DRFResponse:
        assert request.user.pk == request.auth.subject
        return DRFResponse(grant_body(request.auth))


class DRFMe(APIView):  # type: ignore[misc]
    def get(self, request: DRFRequest) -> DRFResponse:
        return DRFResponse(grant_body(request.auth))


urlpatterns = [
    path("me", me), path("write", write), path("drf/write", DRFWrite.as_view()), path("drf/me", DRFMe.as_view())
]  # fmt: skip
STRICT = TOKENS.oauth_verifier(RESOURCE, required_scopes=("todos:write",))


@pytest.fixture(params=["instance", "dotted path", "no middleware"])
def django_client(request: pytest.FixtureRequest) -> Iterator[Client]:
    verifier = VERIFIER if request.param == "instance" else f"{__name__}.VERIFIER"
    config = {"VERIFIER": verifier, "SET_USER": True}
    middleware = [] if request.param == "no middleware" else django_app.MIDDLEWARE  # then the decorator, DRF verify
    settings = {**django_app.SETTINGS, "ROOT_URLCONF": __name__, "BETTERAUTH_JWT": config, "MIDDLEWARE": middleware}
    with override_settings(**settings):
        yield Client(raise_request_exception=True)


def test_django(django_client: Client) -> None:
    def get(url: str, token: str | None = None) -> tuple[int, Any, Any]:
        response = django_client.get(url, headers=bearer(token) if token else {})
        return response.status_code, response.headers, json.loads(response.content)

    status, _, body = get("/me", READ_ONLY)
    assert (status, body) == (200, {"subject": "user_1", "client_id": CLIENT_ID, "user_id": "user_1"})
    status, _, body = get("/write", MACHINE)
    assert (status, body) == (200, {"subject": "cron", "client_id": "cron", "user_id": None})
    assert_insufficient(*get("/write", READ_ONLY), "todos:write")
    assert_wrong_kind(*get("/me", FIRST_PARTY))
    assert_missing(*get("/me"))


def test_drf(django_client: Client) -> None:
    ok = django_client.get("/drf/write", headers=bearer(READ_WRITE))
    assert ok.status_code == 200
    assert json.loads(ok.content)["subject"] == "user_1"
    # DRF answers a refused permission itself: 403 with its body, and (RFC 7235 leaves it to 401s) no challenge.
    refused = django_client.get("/drf/write", headers=bearer(READ_ONLY))
    assert refused.status_code == 403
    assert json.loads(refused.content)["code"] == "insufficient_scope"
    assert "WWW-Authenticate" not in refused.headers
    wrong = django_client.get("/drf/write", headers=bearer(FIRST_PARTY))
    assert_wrong_kind(wrong.status_code, wrong.headers, json.loads(wrong.content))
    missing = django_client.get("/drf/write")
    assert missing.status_code == 401
    assert METADATA in missing.headers["WWW-Authenticate"]


@pytest.mark.parametrize("middleware", [True, False])
def test_django_and_drf_with_required_scopes(middleware: bool) -> None:
    """The verifier's own required_scopes: 403 from the middleware, the decorator, and DRF's authentication (a 403
    with the challenge: DRF's exception handler sends an exception's auth_header)."""
    settings = {**django_app.SETTINGS, "ROOT_URLCONF": __name__, "BETTERAUTH_JWT": {"VERIFIER": STRICT}}
    settings["MIDDLEWARE"] = django_app.MIDDLEWARE if middleware else []
    with override_settings(**settings):
        client = Client(raise_request_exception=True)
        for url in ("/me", "/drf/me"):
            response = client.get(url, headers=bearer(READ_ONLY))
            assert_insufficient(response.status_code, response.headers, json.loads(response.content), "todos:write")
            assert client.get(url, headers=bearer(READ_WRITE)).status_code == 200


# -- Flask ----------------------------------------------------------------------------------------------------------


@pytest.fixture(params=["verifier=", "config"])
def flask_client(request: pytest.FixtureRequest) -> Any:
    app = Flask(__name__)
    if request.param == "config":
        app.config["BETTERAUTH_JWT_VERIFIER"] = f"{__name__}.VERIFIER"
        auth = FlaskAuth(app)
    else:
        auth = FlaskAuth(app, verifier=VERIFIER)

    @app.get("/me")
    @auth.required
    def me() -> ResponseReturnValue:
        return jsonify(grant_body(current_identity))

    @app.get("/write")
    @auth.require(scopes=["todos:write"])
    def write() -> ResponseReturnValue:
        return jsonify(grant_body(current_identity))

    return app.test_client()


def test_flask(flask_client: Any) -> None:
    def get(url: str, token: str | None = None) -> tuple[int, Any, Any]:
        response = flask_client.get(url, headers=bearer(token) if token else {})
        return response.status_code, response.headers, response.json

    assert get("/me", READ_ONLY)[::2] == (200, {"subject": "user_1", "client_id": CLIENT_ID, "user_id": "user_1"})
    assert get("/write", MACHINE)[::2] == (200, {"subject": "cron", "client_id": "cron", "user_id": None})
    assert_insufficient(*get("/write", READ_ONLY), "todos:write")
    assert_wrong_kind(*get("/me", FIRST_PARTY))
    assert_missing(*get("/me"))


# -- Litestar -------------------------------------------------------------------------------------------------------


@pytest.fixture
def litestar_client() -> Iterator[TestClient]:  # type: ignore[type-arg]
    auth = LitestarAuth(VERIFIER)

    @get("/me")
    async def me(request: Request[Identity | AccessGrant, Any, Any]) -> dict[str, Any]:
        return grant_body(request.user) | {"scopes": sorted(request.auth.scopes)}

    @get("/write", guards=[auth.require(scopes=["todos:write"])])
    async def write(request: Request[Identity | AccessGrant, Any, Any]) -> dict[str, Any]:
        return grant_body(request.user)

    with TestClient(Litestar([me, write], on_app_init=[auth.on_app_init])) as client:
        yield client


def test_litestar(litestar_client: TestClient) -> None:  # type: ignore[type-arg]
    def get(url: str, token: str | None = None) -> tuple[int, Any, Any]:
        response = litestar_client.get(url, headers=bearer(token) if token else {})
        return response.status_code, response.headers, response.json()

    user = {"subject": "user_1", "client_id": CLIENT_ID, "user_id": "user_1"}
    assert get("/me", READ_ONLY)[::2] == (200, user | {"scopes": ["authenticated", "todos:read"]})
    assert get("/write", MACHINE)[::2] == (200, {"subject": "cron", "client_id": "cron", "user_id": None})
    assert_insufficient(*get("/write", READ_ONLY), "todos:write")
    assert_wrong_kind(*get("/me", FIRST_PARTY))
    assert_missing(*get("/me"))


def test_flask_and_litestar_with_required_scopes() -> None:
    app = Flask(__name__)
    auth = FlaskAuth(app, verifier=STRICT)
    app.get("/me")(auth.required(lambda: jsonify(grant_body(current_identity))))
    flask_client = app.test_client()
    refused = flask_client.get("/me", headers=bearer(READ_ONLY))
    assert_insufficient(refused.status_code, refused.headers, refused.json, "todos:write")
    assert flask_client.get("/me", headers=bearer(READ_WRITE)).status_code == 200

    @get("/me")
    async def me(request: Request[AccessGrant, Any, Any]) -> dict[str, Any]:
        return grant_body(request.user)

    with TestClient(Litestar([me], on_app_init=[LitestarAuth(STRICT).on_app_init])) as client:
        refused = client.get("/me", headers=bearer(READ_ONLY))
        assert_insufficient(refused.status_code, refused.headers, refused.json(), "todos:write")
        assert client.get("/me", headers=bearer(READ_WRITE)).status_code == 200
