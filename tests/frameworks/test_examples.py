"""examples/frameworks: each app against a local JWKS server, as a reader would run it (Django in its own process,
since it configures Django's settings at import)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from litestar.testing import TestClient

from betterauth_jwt.testing import JWKSServer, TokenFactory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "frameworks"
TOKENS = TokenFactory()


@pytest.fixture
def better_auth(monkeypatch: pytest.MonkeyPatch) -> Iterator[JWKSServer]:
    with JWKSServer(TOKENS) as jwks:
        monkeypatch.setenv("BETTER_AUTH_URL", jwks.base_url)
        monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
        yield jwks


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Litestar resolves the handlers' annotations in their module
    spec.loader.exec_module(module)
    return module


def issuer_tokens(jwks: JWKSServer) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Headers for Ada, Bob and an admin, with the JWKS server's origin as issuer and audience (as Better Auth does)."""
    TOKENS.issuer = TOKENS.audience = jwks.base_url
    return tuple({"Authorization": f"Bearer {TOKENS.access_token(user, **extra)}"}  # type: ignore[return-value]
                 for user, extra in (("ada", {}), ("bob", {}), ("root", {"role": "admin"})))  # fmt: skip


def check_isolation(get: Any, post: Any, ada: dict[str, str], bob: dict[str, str], admin: dict[str, str]) -> None:
    def body(response: Any) -> Any:
        return response.json() if callable(response.json) else response.json  # Flask's is a property

    assert get("/me", {}).status_code == 401
    assert body(get("/me", ada))["id"] == "ada"
    assert post("/notes", ada, {"text": "ada's"}).status_code == 201
    assert body(get("/notes", ada)) == ["ada's"]
    assert body(get("/notes", bob)) == []
    assert get("/admin/users", ada).status_code == 403
    assert get("/admin/users", admin).status_code == 200


def test_flask_example(better_auth: JWKSServer) -> None:
    client: FlaskClient = load("flask_app").app.test_client()
    check_isolation(
        lambda path, headers: client.get(path, headers=headers),
        lambda path, headers, data: client.post(path, headers=headers, json=data),
        *issuer_tokens(better_auth),
    )


def test_litestar_example(better_auth: JWKSServer) -> None:
    with TestClient(load("litestar_app").app) as client:
        check_isolation(
            lambda path, headers: client.get(path, headers=headers),
            lambda path, headers, data: client.post(path, headers=headers, json=data),
            *issuer_tokens(better_auth),
        )


@pytest.mark.slow
def test_django_example_under_uvicorn(better_auth: JWKSServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "django_app:application", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=EXAMPLES, env={**os.environ, "PYTHONPATH": str(EXAMPLES)})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.get("/me")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the Django example did not start"
                    time.sleep(0.1)
            check_isolation(
                lambda path, headers: client.get(path, headers=headers),
                lambda path, headers, data: client.post(path, headers=headers, json=data),
                *issuer_tokens(better_auth),
            )
    finally:
        server.terminate()
        server.wait(10)
