"""The example in JWKS mode against a real JWKS endpoint on 127.0.0.1: key rotation, and Better Auth being down
(503, never 401) or starting after the API."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from todo_api import Settings, create_app

from betterauth_jwt.testing import JWKSServer, TokenFactory
from tests.example._helpers import dead_port
from tests.example._server import LiveServer


def jwks_settings(base_url: str, tmp_path: Path) -> Settings:
    # Exactly what `python -m todo_api` does with these variables.
    return Settings.from_env({"BETTER_AUTH_URL": base_url, "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db"})


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_jwks_mode_accepts_better_auth_tokens_and_follows_key_rotation(tmp_path: Path) -> None:
    with JWKSServer() as jwks:
        factory = TokenFactory("EdDSA", issuer=jwks.base_url)  # Better Auth's iss/aud: the origin of its baseURL
        jwks.set_jwks(factory)
        with LiveServer(create_app(jwks_settings(jwks.base_url, tmp_path))) as server, server.client() as client:
            health = client.get("/health").json()
            assert health["status"] == "ok"
            assert health["keys"]["source"] == "jwks"
            assert (health["keys"]["ready"], health["keys"]["key_count"]) == (True, 1)
            assert "url" not in health["keys"]  # public endpoint: no internal addresses

            created = client.post("/api/tasks", json={"title": "first"}, headers=auth(factory.access_token("alice")))
            assert created.status_code == 201

            factory.rotate()  # Better Auth signs with a new key; the API refetches the JWKS on the unknown kid
            listed = client.get("/api/tasks", headers=auth(factory.access_token("alice")))
            assert listed.status_code == 200
            assert [task["title"] for task in listed.json()["items"]] == ["first"]

            impostor = TokenFactory("EdDSA", issuer=jwks.base_url).access_token("alice")
            refused = client.get("/api/tasks", headers=auth(impostor))
            assert refused.status_code == 401
            assert refused.json()["code"] == "unknown_key"


def test_keys_unavailable_is_503_not_401(tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{dead_port()}"  # Better Auth is down
    token = TokenFactory("EdDSA", issuer=base_url).access_token("alice")

    with LiveServer(create_app(jwks_settings(base_url, tmp_path))) as server, server.client() as client:
        health = client.get("/health")
        outage = client.get("/api/tasks", headers=auth(token))
        anonymous = client.get("/api/tasks")
        garbage = client.get("/api/tasks", headers=auth("not-a-jwt"))

    # The service started anyway, and says why it cannot serve.
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["keys"]["ready"] is False
    assert health.json()["keys"]["last_error_code"]
    # A good token during an outage is an outage (retry later), not a bad token (which would sign the user out).
    assert outage.status_code == 503
    assert outage.json()["code"] == "keys_unavailable"
    assert int(outage.headers["Retry-After"]) >= 1
    assert base_url not in outage.text
    # Requests that need no key are still answered for what they are.
    assert anonymous.status_code == 401
    assert garbage.status_code == 401


def wait_for_status(client: httpx.Client, headers: dict[str, str], status: int, timeout: float = 15.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        code = client.get("/api/tasks", headers=headers).status_code
        if code == status or time.monotonic() > deadline:
            return code
        time.sleep(0.2)


def test_the_api_recovers_when_better_auth_comes_up_after_it(tmp_path: Path) -> None:
    with JWKSServer() as jwks:
        factory = TokenFactory("EdDSA", issuer=jwks.base_url)
        jwks.set_jwks(factory)
        jwks.fail(503)  # Better Auth is still starting
        with LiveServer(create_app(jwks_settings(jwks.base_url, tmp_path))) as server, server.client() as client:
            headers = auth(factory.access_token("alice"))
            assert client.get("/api/tasks", headers=headers).status_code == 503

            jwks.serve()  # Better Auth is up: the next fetch (after the retry backoff) succeeds

            assert wait_for_status(client, headers, 200) == 200
            assert client.get("/health").json()["keys"]["ready"] is True
