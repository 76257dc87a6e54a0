"""betterauth_jwt.flask with Flask's test client; under waitress (threaded) with a real JWKS server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient

from betterauth_jwt import ConfigurationError, RemoteJWKS, Verifier
from betterauth_jwt.flask import BetterAuth
from betterauth_jwt.testing import JWKSServer
from tests._adapter_support import JSON, REALM_CHALLENGE, unavailable_verifier
from tests.frameworks._support import HOSTILE, NON_LATIN_1, TOKENS, Waitress, bearer
from tests.frameworks.flask_app import create_app

TOKEN = TOKENS.access_token("user_1")
ADMIN = TOKENS.access_token("root", role="admin")


@pytest.fixture
def client() -> FlaskClient:
    return create_app(TOKENS.verifier()).test_client()


def test_required(client: FlaskClient) -> None:
    response = client.get("/me", headers=bearer(TOKEN))
    assert response.status_code == 200
    assert response.json == {"user_id": "user_1", "notes": ["buy milk"]}
    assert client.get("/ame", headers=bearer(TOKEN)).json == {"user_id": "user_1"}


def test_missing_token_is_the_shared_401(client: FlaskClient) -> None:
    response = client.get("/me")
    assert response.status_code == 401
    assert response.content_type == JSON
    assert response.headers["WWW-Authenticate"] == REALM_CHALLENGE
    assert response.json == {"detail": "authentication required", "code": "missing_token"}


def test_optional(client: FlaskClient) -> None:
    assert client.get("/maybe").json == {"user_id": None}
    assert client.get("/maybe", headers=bearer(TOKEN)).json == {"user_id": "user_1"}
    refused = client.get("/maybe", headers=bearer(TOKENS.expired_token()))
    assert refused.status_code == 401
    assert refused.json["code"] == "token_expired"


def test_role(client: FlaskClient) -> None:
    refused = client.get("/admin", headers=bearer(TOKEN))
    assert refused.status_code == 403
    assert refused.json == {"detail": "the admin role is required", "code": "insufficient_scope"}
    assert client.get("/admin", headers=bearer(ADMIN)).json == {"admin": "root"}


@pytest.mark.parametrize("value", [*HOSTILE, NON_LATIN_1])
def test_hostile_headers_are_401_never_500(client: FlaskClient, value: str) -> None:
    response = client.get("/me", headers={"Authorization": value})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith(REALM_CHALLENGE)


def test_keys_unavailable_is_503_with_retry_after() -> None:
    response = create_app(unavailable_verifier(TOKENS)).test_client().get("/me", headers=bearer(TOKEN))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "13"
    assert response.json["code"] == "keys_unavailable"


def test_config_keys() -> None:
    app = create_app(BETTERAUTH_JWT_BASE_URL="https://app.example.com", BETTERAUTH_JWT_SECRET="s" * 40)
    with app.app_context():
        assert app.extensions["betterauth_jwt"].verifier.issuer == "https://app.example.com"
    with pytest.raises(ConfigurationError, match="BETTERAUTH_JWT_BASE_URL"):
        create_app()
    with pytest.raises(ConfigurationError, match="not initialised"), Flask(__name__).app_context():
        BetterAuth().authenticator  # noqa: B018


def test_one_extension_for_several_apps() -> None:
    auth = BetterAuth(verifier=TOKENS.verifier())
    first, second = Flask("first"), Flask("second")
    auth.init_app(first)
    auth.init_app(second)
    assert first.extensions["betterauth_jwt"] is not second.extensions["betterauth_jwt"]


# -- a real threaded server, a real JWKS endpoint -------------------------------------------------------------------


def test_under_waitress_with_a_real_jwks_server() -> None:
    with JWKSServer(TOKENS) as jwks, RemoteJWKS(jwks.url) as keys:
        verifier = Verifier(keys, issuer=TOKENS.issuer, audience=TOKENS.audience, clock=TOKENS.clock)
        with Waitress(create_app(verifier)) as server:
            status, _, body = server.get("/me", bearer(TOKEN))
            assert (status, json.loads(body)["user_id"]) == (200, "user_1")
            status, headers, _ = server.get("/me", [("Authorization", f"Bearer {TOKEN}")] * 2)
            assert status == 401  # the server joined the two headers; the joined value is refused
            for value in [*HOSTILE, "bearer \xe9.\xe9.\xe9"]:
                status, headers, body = server.get("/me", {"Authorization": value})
                assert status == 401, value
                assert headers["www-authenticate"].startswith(REALM_CHALLENGE)


def test_fifty_concurrent_first_requests_cost_one_jwks_fetch() -> None:
    with JWKSServer(TOKENS) as jwks, RemoteJWKS(jwks.url) as keys:
        verifier = Verifier(keys, issuer=TOKENS.issuer, audience=TOKENS.audience, clock=TOKENS.clock)
        tokens = [TOKENS.access_token(f"user_{n}") for n in range(50)]
        with Waitress(create_app(verifier), threads=50) as server:
            jwks.hang(5)  # hold the first fetch so that every request arrives while it is in flight
            with ThreadPoolExecutor(50) as pool:
                answers = [pool.submit(server.get, "/me", bearer(token)) for token in tokens]
                assert jwks.wait_for_hits(1)
                time.sleep(0.5)  # the other 49 reach the verifier meanwhile, and wait for that fetch
                jwks.release()
                statuses = [answer.result()[0] for answer in answers]
        assert statuses == [200] * 50
        assert jwks.hits == 1


def test_jwks_outage_under_waitress_is_503() -> None:
    with JWKSServer(TOKENS) as jwks, RemoteJWKS(jwks.url) as keys:
        jwks.fail(502)
        verifier = Verifier(keys, issuer=TOKENS.issuer, audience=TOKENS.audience, clock=TOKENS.clock)
        with Waitress(create_app(verifier)) as server:
            status, headers, body = server.get("/me", bearer(TOKEN))
    assert status == 503
    assert int(headers["retry-after"]) >= 1
    assert json.loads(body)["code"] == "keys_unavailable"
