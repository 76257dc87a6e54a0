"""The database: one engine per app, a session per request, the schema created at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)


def create_db_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Sync endpoints run in FastAPI's thread pool, so a pooled connection may be used by another thread than the
        # one that opened it; each is used by one request at a time, which is what SQLite needs.
        return create_engine(url, connect_args={"check_same_thread": False})
    # pre_ping: a server restart must cost one reconnect, not a 500 for every connection left in the pool.
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Create missing tables (a real deployment would run migrations; the example keeps to one table)."""
    SQLModel.metadata.create_all(engine)


def database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def get_session(request: Request) -> Iterator[Session]:
    # expire_on_commit=False: a task just committed can be returned without reloading it.
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
