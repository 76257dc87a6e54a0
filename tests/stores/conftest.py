"""Fixtures for the session stores: real SQLite files, a real PostgreSQL database, a real redis-server, and a way to
call ``verify`` or ``averify`` (each test runs both ways, on one event loop per test)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from betterauth_jwt import Identity, SessionVerifier, SqlSessionStore
from tests._services import postgres_database, redis_server
from tests.stores._support import NOW, SECRET, Row, create_tables, insert_statements

Verify = Callable[[SessionVerifier, str], Identity]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_database("sessions_test") as url:
        create_tables(url)
        yield url


class Database:
    """Better Auth's tables in one database, and a way to write rows into them as Better Auth would."""

    def __init__(self, dialect: str, url: str) -> None:
        self.dialect = dialect
        self.url = url
        self.engine = create_engine(url)

    def insert(self, row: Row) -> Row:
        with self.engine.begin() as connection:
            for statement, values in insert_statements(self.dialect, row):
                connection.execute(text(statement), values)
        return row

    def execute(self, statement: str, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(statement), values)

    def store(self, **options: Any) -> SqlSessionStore:
        return SqlSessionStore(self.url, **options)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/auth.db"
        create_tables(url)
    else:
        url = request.getfixturevalue("postgres_url")
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text('delete from "session"'))
            connection.execute(text('delete from "user"'))
        engine.dispose()
    database = Database(request.param, url)
    yield database
    database.engine.dispose()


@pytest.fixture(params=["sync", "async"])
def verify(request: pytest.FixtureRequest) -> Iterator[Verify]:
    """``verify(sessions, cookie)`` through ``SessionVerifier.verify`` or ``averify``; closes the verifiers it saw."""
    seen: list[SessionVerifier] = []
    with asyncio.Runner() as runner:

        def call(sessions: SessionVerifier, cookie: str) -> Identity:
            if sessions not in seen:
                seen.append(sessions)
            if request.param == "sync":
                return sessions.verify(cookie)
            return runner.run(sessions.averify(cookie))

        yield call
        for sessions in seen:
            runner.run(sessions.aclose())
        # aiosqlite stops the worker thread of a connection that failed to open without waiting for it; the thread
        # then reports to the event loop, which must still be open (in an application it is).
        runner.run(asyncio.sleep(0.1))


def verifier(store: Any, **options: Any) -> SessionVerifier:
    options.setdefault("clock", NOW.timestamp)
    return SessionVerifier(secret=SECRET, store=store, csrf=None, **options)
