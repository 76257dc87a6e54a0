"""SqlSessionStore on real SQLite files and a real PostgreSQL database, through SessionVerifier.verify and averify."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import create_engine, text

from betterauth_jwt import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidSignatureError,
    SessionRejectedError,
    SqlSessionStore,
    StoreUnavailableError,
    TokenKind,
)
from tests.stores._support import NOW, Row, cookie_value, iso, new_id, sign, tampered
from tests.stores.conftest import Database, Verify, verifier


def test_a_stored_session_gives_its_user(database: Database, verify: Verify) -> None:
    row = database.insert(Row(name="Ada Lovelace"))
    identity = verify(verifier(database.store()), row.cookie())
    assert identity.kind is TokenKind.SESSION
    assert (identity.user_id, identity.session_id) == (row.user_id, row.session_id)
    assert (identity.email, identity.name, identity.email_verified) == (row.email, "Ada Lovelace", True)
    assert identity.expires_at == row.expires_at
    assert identity.issued_at == row.created_at
    assert identity.claims["session"]["expiresAt"] == iso(row.expires_at)
    assert identity.claims["user"]["emailVerified"] is True
    assert "token" not in identity.claims["session"]  # the raw session token never leaves the store
    assert row.token not in repr(identity)


def test_the_cookie_is_accepted_url_encoded_or_decoded(database: Database, verify: Verify) -> None:
    row = database.insert(Row())
    sessions = verifier(database.store())
    assert verify(sessions, row.cookie()).user_id == row.user_id
    assert verify(sessions, unquote(row.cookie())).user_id == row.user_id  # the bearer plugin's form


def test_signed_out_means_the_next_request_is_refused(database: Database, verify: Verify) -> None:
    row = database.insert(Row())
    sessions = verifier(database.store())
    verify(sessions, row.cookie())
    database.execute('delete from "session" where "token" = :token', token=row.token)  # what sign-out does
    with pytest.raises(SessionRejectedError) as refused:
        verify(sessions, row.cookie())
    assert refused.value.code == "session_not_found"


def test_an_unknown_token_is_refused(database: Database, verify: Verify) -> None:
    database.insert(Row())
    with pytest.raises(SessionRejectedError) as refused:
        verify(verifier(database.store()), cookie_value(new_id()))
    assert refused.value.code == "session_not_found"  # str() is the description; the code is .code


def test_an_expired_session_is_refused(database: Database, verify: Verify) -> None:
    row = database.insert(Row(expires_at=NOW - timedelta(seconds=1)))
    with pytest.raises(ExpiredTokenError) as refused:
        verify(verifier(database.store()), row.cookie())
    assert refused.value.code == "session_expired"


def test_expiry_is_judged_at_the_verifiers_clock(database: Database, verify: Verify) -> None:
    row = database.insert(Row(expires_at=NOW + timedelta(seconds=10)))
    verify(verifier(database.store()), row.cookie())
    with pytest.raises(ExpiredTokenError):
        verify(verifier(database.store(), clock=lambda: NOW.timestamp() + 10), row.cookie())


def test_a_banned_user_is_refused_until_the_ban_expires(database: Database, verify: Verify) -> None:
    banned = database.insert(Row(banned=True))
    lifted = database.insert(Row(banned=True, ban_expires=NOW - timedelta(minutes=1)))
    pending = database.insert(Row(banned=True, ban_expires=NOW + timedelta(minutes=1)))
    sessions = verifier(database.store(admin=True))
    with pytest.raises(SessionRejectedError) as refused:
        verify(sessions, banned.cookie())
    assert refused.value.code == "user_banned"  # str() is the description; the code is .code
    with pytest.raises(SessionRejectedError) as refused:
        verify(sessions, pending.cookie())
    assert refused.value.code == "user_banned"  # str() is the description; the code is .code
    identity = verify(sessions, lifted.cookie())
    assert identity.claims["user"]["role"] == "user"


def test_without_the_admin_plugin_no_admin_column_is_read(database: Database, verify: Verify) -> None:
    row = database.insert(Row(banned=True))
    identity = verify(verifier(database.store()), row.cookie())  # admin=False: Better Auth deletes banned sessions
    assert "banned" not in identity.claims["user"]


def test_a_missing_user_row_is_refused(tmp_path: Path, verify: Verify) -> None:
    # SQLite enforces foreign keys only when asked to: a session can outlive its user there.
    database = Database("sqlite", f"sqlite:///{tmp_path}/auth.db")
    from tests.stores._support import SQLITE_DDL

    for statement in SQLITE_DDL:
        database.execute(statement)
    row = database.insert(Row())
    database.execute('delete from "user"')
    with pytest.raises(SessionRejectedError) as refused:
        verify(verifier(database.store()), row.cookie())
    assert refused.value.code == "user_not_found"  # str() is the description; the code is .code
    database.engine.dispose()


def test_a_bad_signature_never_reaches_the_store(database: Database, verify: Verify) -> None:
    row = database.insert(Row())
    sessions = verifier(database.store())
    for forged in (
        row.cookie(secret="another-secret-another-secret-another-secret"),
        f"{row.token}.{'A' * 43}=",
        tampered(sign(row.token)),
    ):
        with pytest.raises(InvalidSignatureError) as refused:
            verify(sessions, forged)
        assert refused.value.code == "invalid_signature"
    assert sessions.stats["store_lookups"] == 0


def test_renamed_tables_and_columns(tmp_path: Path, verify: Verify) -> None:
    # Better Auth's session: {modelName: "auth_sessions", fields: {userId: "user_id", expiresAt: "expires_at"}}
    url = f"sqlite:///{tmp_path}/renamed.db"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                'create table people (id text primary key, name text, email text, "emailVerified" '
                'integer, image text, "createdAt" date, "updatedAt" date, tenant text)'
            )
        )
        connection.execute(
            text(
                "create table auth_sessions (id text primary key, token text unique, expires_at date, "
                'user_id text, "createdAt" date, "updatedAt" date, "ipAddress" text, '
                '"userAgent" text)'
            )
        )
        row = Row()
        connection.execute(
            text("insert into people values (:id, 'Ada', :email, 1, null, :at, :at, 'acme')"),
            {"id": row.user_id, "email": row.email, "at": iso(row.created_at)},
        )
        connection.execute(
            text("insert into auth_sessions values (:id, :token, :exp, :user, :at, :at, null, null)"),
            {
                "id": row.session_id,
                "token": row.token,
                "exp": iso(row.expires_at),
                "user": row.user_id,
                "at": iso(row.created_at),
            },
        )
    engine.dispose()  # fmt: skip
    store = SqlSessionStore(
        url,
        session_table="auth_sessions",
        user_table="people",
        session_fields={"userId": "user_id", "expiresAt": "expires_at"},
        user_fields={"tenantId": "tenant"},  # an additionalField: read into claims
    )
    identity = verify(verifier(store), row.cookie())
    assert identity.user_id == row.user_id
    assert identity.claims["user"]["tenantId"] == "acme"


def test_cache_ttl_trades_revocation_lag_for_store_round_trips(database: Database, verify: Verify) -> None:
    row = database.insert(Row())
    now = [NOW.timestamp()]
    sessions = verifier(database.store(), cache_ttl=5, clock=lambda: now[0])
    verify(sessions, row.cookie())
    database.execute('delete from "session"')
    assert verify(sessions, row.cookie()).user_id == row.user_id  # the documented lag: served from the cache
    assert sessions.stats == {"cache_hits": 1, "store_lookups": 1}
    now[0] += 5
    with pytest.raises(SessionRejectedError):
        verify(sessions, row.cookie())


def test_an_unreachable_database_is_503_and_never_shows_the_token(
    tmp_path: Path, verify: Verify, caplog: pytest.LogCaptureFixture
) -> None:
    row = Row()
    store = SqlSessionStore(f"sqlite:///{tmp_path}/missing-dir/auth.db")
    with caplog.at_level(logging.DEBUG, logger="betterauth_jwt"), pytest.raises(StoreUnavailableError) as outage:
        verify(verifier(store), row.cookie())
    assert outage.value.code == "store_unavailable"
    assert row.token not in str(outage.value)
    assert row.token not in caplog.text
    assert "OperationalError" in str(outage.value)


@pytest.mark.postgres
def test_a_postgres_server_that_does_not_answer_is_503(verify: Verify) -> None:
    store = SqlSessionStore("postgresql+psycopg://nobody:nothing@127.0.0.1:9/none", engine_options={
        "connect_args": {"connect_timeout": 2}})  # fmt: skip
    with pytest.raises(StoreUnavailableError):
        verify(verifier(store), Row().cookie())


def test_a_table_that_is_not_better_auths_is_503_not_401(database: Database, verify: Verify) -> None:
    row = database.insert(Row())
    with pytest.raises(StoreUnavailableError):
        verify(verifier(database.store(session_table="sessions")), row.cookie())


def test_configuration_is_checked_at_construction() -> None:
    with pytest.raises(ConfigurationError):
        SqlSessionStore()
    with pytest.raises(ConfigurationError):
        SqlSessionStore("not a url")
    with pytest.raises(ConfigurationError):
        SqlSessionStore("sqlite://", session_fields={"userId": ""})


def test_drivers_are_derived_from_the_url() -> None:
    store = SqlSessionStore("postgresql+asyncpg://u:secret-password@db/app")
    assert store._sync_url is not None
    assert store._sync_url.drivername == "postgresql+psycopg"
    assert store._async_url is not None
    assert store._async_url.drivername == "postgresql+asyncpg"
    assert "secret-password" not in repr(store)
    sqlite = SqlSessionStore("sqlite:///auth.db")
    assert sqlite._async_url is not None
    assert sqlite._async_url.drivername == "sqlite+aiosqlite"


def test_one_store_serves_several_event_loops(database: Database) -> None:
    # asyncio.run twice (scripts, Django's async views under WSGI): each loop gets its own async engine.
    row = database.insert(Row())
    sessions = verifier(database.store())

    async def twice() -> None:
        assert (await sessions.averify(row.cookie())).user_id == row.user_id
        assert (await sessions.averify(row.cookie())).user_id == row.user_id
        await sessions.aclose()
        await asyncio.sleep(0.05)  # aiosqlite's worker threads report to this loop while it is open

    asyncio.run(twice())
    asyncio.run(twice())
