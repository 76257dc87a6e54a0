"""Fixtures for the todo example: the app on a fresh SQLite file or a fresh PostgreSQL database, and signed-in users.

PostgreSQL comes from ``TEST_POSTGRES_URL`` (a server URL with a role allowed to create databases). Each test session
creates its own uniquely named database there and drops it at the end, so concurrent runs never share tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel
from todo_api import Settings, create_app
from todo_api.settings import database_url_from

from betterauth_jwt.testing import TokenFactory
from tests._support import unavailable
from tests.example._helpers import bearer
from tests.example._server import LiveServer

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    raw = os.environ.get("TEST_POSTGRES_URL")
    if not raw:
        unavailable("TEST_POSTGRES_URL is not set (e.g. postgresql://bajwt:bajwt@127.0.0.1:5432/postgres)")
    server = database_url_from(raw)
    name = f"todo_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            # UTF8 whatever the cluster's default: titles are Unicode, and length limits count characters.
            connection.execute(
                text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
            )
    except OperationalError as exc:
        admin.dispose()
        unavailable(f"cannot create a database on the PostgreSQL server at TEST_POSTGRES_URL: {exc.orig}")
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/todo.db"
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(url)  # every test starts from an empty schema
    SQLModel.metadata.drop_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory("EdDSA")  # what Better Auth signs with by default; issuer = audience = http://localhost:3000


@pytest.fixture
def settings(tokens: TokenFactory, database_url: str) -> Settings:
    return Settings(verifier=tokens.verifier(), database_url=database_url)


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings)) as server:  # runs the lifespan: schema creation, key warm-up
        yield server


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture
def alice(tokens: TokenFactory) -> dict[str, str]:
    return bearer(tokens, "alice", name="Alice", email="alice@example.com", emailVerified=True)


@pytest.fixture
def bob(tokens: TokenFactory) -> dict[str, str]:
    return bearer(tokens, "bob", name="Bob", email="bob@example.com")
