"""Fixtures that run a real Better Auth server (Node) per configuration for the interop tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests._support import unavailable
from tests.interop.harness import BetterAuthServer, HarnessError, ensure_node_modules, node_available

_emails = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/interop/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.interop)


@pytest.fixture(scope="session")
def node_project() -> None:
    if not node_available():
        unavailable("Node >= 18 and npm are needed to run a real Better Auth server")
    try:
        ensure_node_modules()
    except HarnessError as exc:
        unavailable(f"npm ci failed in tests/interop/betterauth: {exc}")


def start_server(config: str, **env: str) -> BetterAuthServer:
    server = BetterAuthServer(config, env=env or None)
    server.start()
    return server


@pytest.fixture(scope="module")
def better_auth(request: pytest.FixtureRequest, node_project: None) -> Iterator[BetterAuthServer]:
    """A running server; the configuration comes from indirect parametrization (default "eddsa")."""
    server = start_server(getattr(request, "param", "eddsa"))
    try:
        yield server
    finally:
        server.stop()


def new_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_emails)}@example.test"
