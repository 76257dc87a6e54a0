"""A token from a live Better Auth server, through each framework face (its own test client), verified against the
server's live JWKS: the Django middleware and decorator, Django REST framework, Flask and Litestar."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from litestar.testing import TestClient

from betterauth_jwt import Verifier
from tests.frameworks import django_app, flask_app, litestar_app
from tests.interop.conftest import new_email
from tests.interop.harness import BetterAuthServer, Session, sign_up

PASSWORD = "correct horse battery staple"


@pytest.fixture
def session(better_auth: BetterAuthServer) -> Iterator[Session]:
    with sign_up(better_auth.base_url, new_email("frameworks"), PASSWORD, "Grace Hopper") as signed_in:
        yield signed_in


def live_verifier(server: BetterAuthServer) -> Verifier:
    return Verifier.for_better_auth(server.base_url)


def test_django_and_drf(better_auth: BetterAuthServer, session: Session) -> None:
    config = {**django_app.BETTERAUTH_JWT, "VERIFIER": live_verifier(better_auth)}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {session.token()}"}
    with override_settings(**{**django_app.SETTINGS, "BETTERAUTH_JWT": config}):
        client = Client()
        assert client.get("/me", **headers).json()["user_id"] == session.user["id"]
        assert client.get("/drf/me", **headers).json()["user_id"] == session.user["id"]
        assert client.get("/whoami", **headers).json()["username"] == session.user["email"]
        assert client.get("/me").status_code == 401


def test_flask(better_auth: BetterAuthServer, session: Session) -> None:
    client = flask_app.create_app(live_verifier(better_auth)).test_client()
    response = client.get("/me", headers={"Authorization": f"Bearer {session.token()}"})
    assert response.json["user_id"] == session.user["id"]
    assert client.get("/me").status_code == 401


def test_litestar(better_auth: BetterAuthServer, session: Session) -> None:
    with TestClient(litestar_app.create_app(live_verifier(better_auth))) as client:
        response = client.get("/me", headers={"Authorization": f"Bearer {session.token()}"})
        assert response.json()["user_id"] == session.user["id"]
        assert client.get("/me").status_code == 401
