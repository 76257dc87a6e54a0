"""testing.JWKSServer: the JWKS endpoint the RemoteJWKS tests (and users' tests) run against, exercised with plain httpx."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from betterauth_jwt.testing import JWKSServer, TokenFactory


@pytest.fixture
def factory() -> TokenFactory:
    return TokenFactory("ES256")


@pytest.fixture
def server(factory: TokenFactory) -> Iterator[JWKSServer]:
    with JWKSServer(factory) as server:
        yield server


def get(url: str, timeout: float = 5.0) -> httpx.Response:
    return httpx.get(url, timeout=timeout, follow_redirects=False)


def test_publishes_the_factorys_current_keys(server: JWKSServer, factory: TokenFactory) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/api/auth/jwks"
    assert server.base_url == f"http://127.0.0.1:{server.port}"
    response = get(server.url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "cache-control" not in response.headers  # like Better Auth
    assert response.json() == factory.jwks
    factory.rotate()
    assert [key["kid"] for key in get(server.url).json()["keys"]] == [key["kid"] for key in factory.jwks["keys"]]
    assert len(factory.jwks["keys"]) == 2
    assert server.hits == 2


def test_a_mapping_is_published_until_replaced(factory: TokenFactory) -> None:
    other = TokenFactory("EdDSA")
    with JWKSServer(factory.jwks, path="/.well-known/jwks.json", cache_control="max-age=60") as server:
        assert server.url.endswith("/.well-known/jwks.json")
        response = get(server.url)
        assert response.json() == factory.jwks
        assert response.headers["cache-control"] == "max-age=60"
        server.set_jwks(other)
        assert get(server.url).json() == other.jwks
        assert server.jwks == other.jwks


def test_counts_every_request(server: JWKSServer) -> None:
    assert get(server.base_url + "/elsewhere").status_code == 404
    get(server.url)
    assert server.hits == 2
    assert server.wait_for_hits(2, timeout=0)
    assert not server.wait_for_hits(3, timeout=0)
    server.reset_hits()
    assert server.hits == 0


def test_fail(server: JWKSServer) -> None:
    server.fail(503)
    assert get(server.url).status_code == 503
    server.serve()
    assert get(server.url).status_code == 200


def test_redirect(server: JWKSServer) -> None:
    server.redirect()
    response = get(server.url)
    assert response.status_code == 302
    assert response.headers["location"] == server.base_url + "/moved"
    server.redirect("https://elsewhere.example/jwks", status=301)
    assert get(server.url).headers["location"] == "https://elsewhere.example/jwks"


def test_garbage_and_arbitrary_bodies(server: JWKSServer) -> None:
    server.send_garbage()
    response = get(server.url)
    assert response.status_code == 200
    assert response.content.startswith(b"<html>")
    server.send_body(b'{"keys": {}}', status=200, headers={"X-Test": "1"})
    response = get(server.url)
    assert response.content == b'{"keys": {}}'
    assert response.headers["x-test"] == "1"


@pytest.mark.parametrize("content_length", [True, False])
def test_send_large(server: JWKSServer, content_length: bool) -> None:
    server.send_large(300_000, content_length=content_length)
    response = get(server.url)
    assert len(response.content) == 300_000
    assert ("content-length" in response.headers) is content_length


def test_hang_until_released(server: JWKSServer, factory: TokenFactory) -> None:
    server.hang()
    with pytest.raises(httpx.ReadTimeout):
        get(server.url, timeout=0.2)
    answers: list[httpx.Response] = []
    waiting = threading.Thread(target=lambda: answers.append(get(server.url)))
    waiting.start()
    assert server.wait_for_hits(2)
    assert waiting.is_alive()
    server.release()
    waiting.join()
    assert answers[0].json() == factory.jwks
    assert get(server.url).status_code == 200  # answering normally again


def test_hang_for_a_while(server: JWKSServer) -> None:
    server.hang(0.05)
    assert get(server.url).status_code == 200  # held, then answered


def test_close_releases_held_requests_and_joins_its_threads(factory: TokenFactory) -> None:
    before = set(threading.enumerate())
    server = JWKSServer(factory).start()
    server.hang()
    with pytest.raises(httpx.ReadTimeout):
        get(server.url, timeout=0.2)
    server.close()
    server.close()  # twice is fine
    assert set(threading.enumerate()) <= before
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url


def test_start_twice_is_an_error(server: JWKSServer) -> None:
    with pytest.raises(RuntimeError, match="already started"):
        server.start()
