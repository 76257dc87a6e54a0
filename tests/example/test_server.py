"""The one documented command, `python -m todo_api` run from examples/fastapi_todo, as the demo and the front end run it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from betterauth_jwt.testing import TokenFactory
from tests.example._helpers import dead_port

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "fastapi_todo"
STARTUP_TIMEOUT = 30.0


def environment(**variables: str) -> dict[str, str]:
    # Only what the service reads, on top of a minimal base: nothing from the developer's shell leaks in.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SYSTEMROOT") if key in os.environ}
    return {**base, "PYTHONUNBUFFERED": "1", **variables}


@contextmanager
def running(env: dict[str, str]) -> Iterator[str]:
    """Start the service, wait until /health answers, yield its URL; stop it (SIGTERM, as uvicorn expects) after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "todo_api"],
        cwd=EXAMPLE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://{env.get('HOST', '127.0.0.1')}:{env['PORT']}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"todo_api exited with {process.returncode}:\n{process.communicate()[0]}")
            try:
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("todo_api did not answer /health in time")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def failed_start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "todo_api"], cwd=EXAMPLE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_runs_with_one_command_in_shared_secret_mode(tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(32)
    env = environment(
        BETTER_AUTH_SECRET=secret,
        BETTER_AUTH_URL="http://localhost:3000",
        DATABASE_URL=f"sqlite:///{tmp_path}/todo.db",
        PORT=str(dead_port()),
    )
    # Better Auth's custom HS256 signer: same claims, signed with the shared secret.
    tokens = TokenFactory("HS256", secret=secret, issuer="http://localhost:3000")
    alice = {"Authorization": f"Bearer {tokens.access_token('alice')}"}

    with running(env) as url:
        health = httpx.get(f"{url}/health").json()
        created = httpx.post(f"{url}/api/tasks", json={"title": "from the shell"}, headers=alice)
        listed = httpx.get(f"{url}/api/tasks", headers=alice)
        wrong_secret = TokenFactory("HS256", issuer="http://localhost:3000").access_token("alice")
        refused = httpx.get(f"{url}/api/tasks", headers={"Authorization": f"Bearer {wrong_secret}"})

    assert health["keys"] == {"source": "shared_secret", "ready": True}
    assert created.status_code == 201
    assert [task["title"] for task in listed.json()["items"]] == ["from the shell"]
    assert refused.status_code == 401
    assert (tmp_path / "todo.db").exists()  # the schema was created in the configured database


def test_bad_configuration_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    weak = "short-secret"
    result = failed_start(environment(BETTER_AUTH_SECRET=weak, DATABASE_URL=f"sqlite:///{tmp_path}/todo.db"))

    assert result.returncode == 1
    assert "BETTER_AUTH_SECRET" in result.stderr
    assert weak not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr  # a message, not a stack trace


def test_an_unreachable_database_stops_start_up_naming_database_url() -> None:
    password = secrets.token_hex(8)
    env = environment(
        BETTER_AUTH_SECRET=secrets.token_urlsafe(32),
        DATABASE_URL=f"postgresql://todo:{password}@127.0.0.1:{dead_port()}/todo",
        PORT=str(dead_port()),
    )

    result = failed_start(env)

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert password not in result.stderr + result.stdout
