"""``SqlSessionStore``: Better Auth's own ``session`` and ``user`` tables, read (never written) through SQLAlchemy.

One statement per lookup: the session row by its unique ``token``, left-joined to its user (a missing user is refused
by the verifier, as Better Auth refuses it). Table and column names follow Better Auth's schema and can be renamed as
Better Auth's ``modelName`` / ``fields`` options rename them. Values come back as each database stores them (SQLite:
ISO-8601 text and 0/1; PostgreSQL: ``timestamptz`` and ``boolean``) and are judged in ``base``.

SQLAlchemy (and ``aiosqlite`` for SQLite under asyncio) are optional: ``pip install 'betterauth-jwt[sessions]'``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from .._errors import ConfigurationError, StoreUnavailableError
from .base import PerLoop, SignedCookie, StoreLookup, invalid_data, missing_extra, parse_bool, record_from_documents

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.sql import Select

__all__ = ["SqlSessionStore"]

DEFAULT_TIMEOUT = 5.0

# Better Auth's field names (keys) and default column names (values), from its schema (getMigrations()).
SESSION_FIELDS = ("id", "token", "expiresAt", "userId", "createdAt", "updatedAt", "ipAddress", "userAgent")
USER_FIELDS = ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt")
ADMIN_SESSION_FIELDS = ("impersonatedBy",)
ADMIN_USER_FIELDS = ("role", "banned", "banReason", "banExpires")

# The same database through the other kind of driver: a URL names one; verify() needs a sync one, averify() an async one.
_SYNC_DRIVER = {
    "sqlite+aiosqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgresql+asyncpg": "postgresql+psycopg",
}
_ASYNC_DRIVER = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
    "mysql": "mysql+aiomysql",
    "mysql+pymysql": "mysql+aiomysql",
}


class SqlSessionStore:
    """Better Auth's session table (and user table) in a SQL database, for a :class:`SessionVerifier`.

    >>> store = SqlSessionStore("postgresql+psycopg://auth:...@db/app")  # doctest: +SKIP

    - ``url``: a SQLAlchemy URL; the sync driver (for ``verify``) and the async one (for ``averify``) are derived from
      it: ``sqlite`` / ``sqlite+aiosqlite``, ``postgresql+psycopg`` (both), ``postgresql+asyncpg`` with ``psycopg``.
      Or pass ``engine=`` / ``async_engine=`` built yourself (they are not disposed by :meth:`close`).
    - ``session_table="session"``, ``user_table="user"``, ``schema=None``: Better Auth's ``modelName`` options.
    - ``session_fields`` / ``user_fields``: ``{better_auth_field: column}`` as in Better Auth's ``fields`` options;
      a field that is not one of Better Auth's adds a column (an ``additionalFields`` entry) to ``identity.claims``.
    - ``admin=False``: set it with Better Auth's admin plugin: its ``role``, ``banned``, ``banExpires`` columns are
      read and a banned user is refused until ``banExpires`` (Better Auth also deletes their sessions).
    - ``timeout=5``: seconds to wait for a pooled connection, to connect, and (PostgreSQL) for the query; a database
      that does not answer in time is an outage (503), not a hung request.
    - ``engine_options``: keyword arguments for ``create_engine`` / ``create_async_engine`` (pool size,
      ``connect_args``); they win over what ``timeout`` sets.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        engine: Engine | None = None,
        async_engine: AsyncEngine | None = None,
        session_table: str = "session",
        user_table: str = "user",
        schema: str | None = None,
        session_fields: Mapping[str, str] | None = None,
        user_fields: Mapping[str, str] | None = None,
        admin: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            import sqlalchemy
            from sqlalchemy.engine import make_url
        except ImportError:
            raise missing_extra("SqlSessionStore", "sqlalchemy") from None
        if url is None and engine is None and async_engine is None:
            raise ConfigurationError("SqlSessionStore needs a database URL (or engine= / async_engine=)")
        self._sync_url = self._async_url = None
        if url is not None:
            try:
                parsed = make_url(url)
            except (sqlalchemy.exc.ArgumentError, TypeError, ValueError):
                raise ConfigurationError("SqlSessionStore url is not a SQLAlchemy database URL") from None
            driver = parsed.drivername
            self._sync_url = parsed.set(drivername=_SYNC_DRIVER.get(driver, driver))
            self._async_url = parsed.set(drivername=_ASYNC_DRIVER.get(driver, driver))
        self._engine, self._async_engine = engine, async_engine
        self._owns_engine = engine is None
        # An async engine's connections belong to the event loop that opened them: one per loop, unless one is given.
        self._async_engines = PerLoop(self._create_async_engine)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0.1 <= timeout <= 300:
            raise ConfigurationError("SqlSessionStore timeout must be between 0.1 and 300 seconds")
        self.timeout = float(timeout)
        self._engine_options = dict(engine_options or {})
        self._engine_lock = threading.Lock()
        self._label = self._sync_url.render_as_string(hide_password=True) if self._sync_url is not None else "<engine>"
        session_columns = _columns(
            "session_fields", (*SESSION_FIELDS, *(ADMIN_SESSION_FIELDS if admin else ())), session_fields
        )
        user_columns = _columns("user_fields", (*USER_FIELDS, *(ADMIN_USER_FIELDS if admin else ())), user_fields)
        self._statement, self._fields = _select(
            sqlalchemy, session_table, user_table, schema, session_columns, user_columns
        )

    def __repr__(self) -> str:
        return f"SqlSessionStore({self._label!r})"

    # -- the lookup, written once -------------------------------------------------------------------------------------

    def lookup(self, cookie: SignedCookie) -> StoreLookup:
        rows = cast(list[tuple[Any, ...]], (yield (self._statement, {"token": cookie.token})))
        if not rows:
            return None
        if len(rows) > 1:
            raise invalid_data("two sessions with one token (is the token column unique?)")
        session: dict[str, Any] = {}
        user: dict[str, Any] = {}
        for (table, name), value in zip(self._fields, rows[0], strict=True):
            (session if table == "s" else user)[name] = value
        if user.get("id") is None:  # the left join found no user row
            return record_from_documents(session, None, token=cookie.token)
        for name in ("emailVerified", "banned"):
            if name in user:
                user[name] = parse_bool(user[name], f"user {name}")
        return record_from_documents(session, user, token=cookie.token)

    # -- I/O ------------------------------------------------------------------------------------------------------------

    def run(self, operation: object) -> object:
        from sqlalchemy.exc import SQLAlchemyError

        statement, parameters = _operation(operation)
        try:
            with self._sync_engine().connect() as connection:
                return [tuple(row) for row in connection.execute(statement, parameters).all()]
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from None

    async def arun(self, operation: object) -> object:
        from sqlalchemy.exc import SQLAlchemyError

        statement, parameters = _operation(operation)
        try:
            async with self._asynchronous_engine().connect() as connection:
                result = await connection.execute(statement, parameters)
                return [tuple(row) for row in result.all()]
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from None

    def _sync_engine(self) -> Engine:
        engine = self._engine
        if engine is None:
            from sqlalchemy import create_engine

            with self._engine_lock:
                if self._engine is None:
                    self._engine = self._create(create_engine, self._sync_url)
                engine = self._engine
        return engine

    def _asynchronous_engine(self) -> AsyncEngine:
        return self._async_engine or self._async_engines.get()

    def _create_async_engine(self) -> AsyncEngine:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine: AsyncEngine = self._create(create_async_engine, self._async_url)
        return engine

    def _create(self, factory: Any, url: Any) -> Any:
        if url is None:
            raise ConfigurationError("SqlSessionStore was given only an engine of the other kind; pass url= as well")
        try:
            # One round trip per lookup: autocommit, so no BEGIN before the SELECT and no ROLLBACK after it (a single
            # read needs no transaction), and no pool_pre_ping. A connection the server dropped fails one lookup (503)
            # and the pool replaces it.
            options = {
                "isolation_level": "AUTOCOMMIT",
                "pool_timeout": self.timeout,
                "connect_args": _timeouts(url, self.timeout),
            }
            return factory(url, **{**options, **self._engine_options})
        except ImportError as exc:  # the driver, or greenlet for SQLAlchemy's asyncio
            raise missing_extra(f"SqlSessionStore ({url.drivername})", exc.name or "its database driver") from None

    def close(self) -> None:
        """Dispose of the sync engine created here (the async one is disposed by :meth:`aclose`)."""
        if self._owns_engine and self._engine is not None:
            self._engine.dispose()
            self._engine = None

    async def aclose(self) -> None:
        """Dispose of the engines created here: the sync one, and the async one of the running event loop."""
        self.close()
        engine = self._async_engines.pop()
        if engine is not None:
            await engine.dispose()


def _timeouts(url: Any, seconds: float) -> dict[str, Any]:
    """The drivers' own timeout arguments: connecting, and for PostgreSQL each statement (server side)."""
    driver = url.drivername
    if driver in ("postgresql+psycopg", "postgresql+psycopg2"):
        return {"connect_timeout": max(1, round(seconds)), "options": f"-c statement_timeout={round(seconds * 1000)}"}
    if driver == "postgresql+asyncpg":
        return {"timeout": seconds, "command_timeout": seconds}
    if driver.startswith("sqlite"):
        return {"timeout": seconds}  # how long to wait for a lock held by a writer (Better Auth itself)
    return {}


def _columns(option: str, fields: Sequence[str], renames: Mapping[str, str] | None) -> dict[str, str]:
    columns = {name: name for name in fields}
    for name, column in (renames or {}).items():
        if not isinstance(name, str) or not isinstance(column, str) or not name or not column:
            raise ConfigurationError(f"SqlSessionStore {option} maps Better Auth field names to column names (strings)")
        columns[name] = column
    return columns


def _select(
    sqlalchemy: Any,
    session_table: str,
    user_table: str,
    schema: str | None,
    session_columns: Mapping[str, str],
    user_columns: Mapping[str, str],
) -> tuple[Select[Any], list[tuple[str, str]]]:
    for name in (session_table, user_table):
        if not isinstance(name, str) or not name:
            raise ConfigurationError("SqlSessionStore table names must be non-empty strings")
    quoted = sqlalchemy.sql.quoted_name  # always quoted: Better Auth's names are camelCase, and "user" is reserved
    session = sqlalchemy.table(
        quoted(session_table, True),
        *(sqlalchemy.column(quoted(c, True)) for c in session_columns.values()),
        schema=schema,
    )
    user = sqlalchemy.table(
        quoted(user_table, True), *(sqlalchemy.column(quoted(c, True)) for c in user_columns.values()), schema=schema
    )
    fields = [("s", name) for name in session_columns] + [("u", name) for name in user_columns]
    selected = [session.c[column] for column in session_columns.values()] + [user.c[c] for c in user_columns.values()]
    statement = (
        sqlalchemy.select(*(column.label(f"c{index}") for index, column in enumerate(selected)))
        .select_from(session.outerjoin(user, session.c[session_columns["userId"]] == user.c[user_columns["id"]]))
        .where(session.c[session_columns["token"]] == sqlalchemy.bindparam("token"))
        .limit(2)
    )
    return statement, fields


def _operation(operation: object) -> tuple[Any, dict[str, str]]:
    return cast(tuple[Any, dict[str, str]], operation)


def _unavailable(exc: Exception) -> StoreUnavailableError:
    # Never str(exc): SQLAlchemy's message lists the statement's parameters, the session token among them.
    return StoreUnavailableError(f"the session database could not be read ({type(exc).__name__})", retry_after=5.0)
