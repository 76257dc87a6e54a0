"""A real Better Auth 1.7 server on PostgreSQL (the ``pg`` driver), alone or with Redis secondaryStorage, and a
SessionVerifier for each store: SQL (Better Auth's own tables), Redis (its secondaryStorage), remote (its get-session).

Each deployment is module-scoped: a fresh PostgreSQL database (Better Auth's own migrations create the tables) and, with
Redis, its own flushed database on the test session's redis-server.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from betterauth_jwt import OriginCheck, RedisSessionStore, RemoteSessionStore, SessionVerifier, SqlSessionStore
from tests._services import postgres_database, redis_server
from tests._support import unavailable
from tests.interop.harness import TEST_SECRET, BetterAuthServer, HarnessError, ensure_node_modules, node_available
from tests.stores.conftest import verify  # noqa: F401  (the sync/async fixture, shared)

PROJECT = Path(__file__).resolve().parent
SHORT_SESSION_SECONDS = 2
_emails = itertools.count()
_redis_databases = itertools.count(1)

# Which store the verifier reads: "sql" and "remote" against Better Auth on PostgreSQL alone; "redis" and
# "remote-redis" against Better Auth with secondaryStorage, where sessions live only in Redis.
STORES = ("sql", "redis", "remote", "remote-redis")


class SessionsServer(BetterAuthServer):
    """tests/interop/sessions/server.mjs: configurations "postgres" and "redis" (PostgreSQL plus secondaryStorage)."""

    project = PROJECT
    configs = ("postgres", "redis")


@dataclass
class Deployment:
    server: SessionsServer
    database_url: str  # Better Auth's PostgreSQL database, as SQLAlchemy names it
    redis_url: str | None  # its secondaryStorage, if any

    def make_admin(self, user_id: str) -> None:
        engine = create_engine(self.database_url)
        with engine.begin() as connection:
            connection.execute(text('update "user" set "role" = \'admin\' where "id" = :id'), {"id": user_id})
        engine.dispose()

    def store(self, kind: str) -> SqlSessionStore | RedisSessionStore | RemoteSessionStore:
        if kind == "sql":
            return SqlSessionStore(self.database_url, admin=True)
        if kind == "redis":
            assert self.redis_url is not None
            return RedisSessionStore(self.redis_url)
        return RemoteSessionStore(self.server.base_url)

    def sessions(self, kind: str) -> SessionVerifier:
        return SessionVerifier(secret=TEST_SECRET, store=self.store(kind), csrf=OriginCheck([self.server.base_url]))


@contextlib.contextmanager
def deploy(config: str, redis_url: str, **env: str) -> Iterator[Deployment]:
    with postgres_database("better_auth_sessions") as database_url:
        node_env = {"BA_DATABASE_URL": make_url(database_url).set(drivername="postgresql").render_as_string(False)}
        kv_url = None
        if config == "redis":
            kv_url = f"{redis_url.rsplit('/', 1)[0]}/{next(_redis_databases)}"
            client = redis.Redis.from_url(kv_url)
            client.flushdb()
            client.close()
            node_env["BA_REDIS_URL"] = kv_url
        with SessionsServer(config, env={**node_env, **env}) as server:
            yield Deployment(server, database_url, kv_url)


@pytest.fixture(scope="session")
def sessions_node_project() -> None:
    if not node_available():
        unavailable("Node >= 18 and npm are needed to run a real Better Auth server")
    try:
        ensure_node_modules(project=PROJECT)
    except HarnessError as exc:
        unavailable(f"npm ci failed in tests/interop/sessions: {exc}")


@pytest.fixture(scope="session")
def interop_redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def on_postgres(sessions_node_project: None, interop_redis_url: str) -> Iterator[Deployment]:
    with deploy("postgres", interop_redis_url) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def on_redis(sessions_node_project: None, interop_redis_url: str) -> Iterator[Deployment]:
    with deploy("redis", interop_redis_url) as deployment:
        yield deployment


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def deployment(store_kind: str, request: pytest.FixtureRequest) -> Deployment:
    uses_redis = store_kind in ("redis", "remote-redis")
    found: Deployment = request.getfixturevalue("on_redis" if uses_redis else "on_postgres")
    return found


@pytest.fixture
def sessions(deployment: Deployment, store_kind: str) -> Iterator[SessionVerifier]:
    verifier = deployment.sessions(store_kind)
    yield verifier
    verifier.close()  # the sync side; the verify fixture closes both sides of the verifiers it used


def new_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_emails)}@example.test"
