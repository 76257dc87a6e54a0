"""The todo API in session mode (``BETTERAUTH_MODE=session``): the browser's Better Auth session cookie, checked
against Better Auth's own session table, so that a signed-out user is refused on the very next call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from todo_api import Settings, SettingsError, create_app

from betterauth_jwt import RemoteJWKS, SessionVerifier, SqlSessionStore
from tests.example._server import LiveServer
from tests.stores._support import SECRET, Row, create_tables

FRONT_END = "http://localhost:3000"


@pytest.fixture
def better_auth_db(tmp_path: Path) -> str:
    """Better Auth's tables, in their own SQLite file as Better Auth would keep them."""
    url = f"sqlite:///{tmp_path}/better-auth.db"
    create_tables(url)
    return url


def sign_in(url: str) -> Row:
    now = datetime.now(UTC)
    row = Row(created_at=now - timedelta(minutes=1), expires_at=now + timedelta(days=7))
    create_tables(url, row, tables=False)
    return row


def test_settings_build_a_session_verifier(better_auth_db: str) -> None:
    settings = Settings.from_env({"BETTERAUTH_MODE": "session", "BETTER_AUTH_SECRET": SECRET,
                                  "SESSION_STORE": better_auth_db})  # fmt: skip
    assert isinstance(settings.sessions, SessionVerifier)
    assert isinstance(settings.sessions.store, SqlSessionStore)
    settings.sessions.close()
    keys = settings.verifier.keys
    if isinstance(keys, RemoteJWKS):  # bearer JWTs are checked with Better Auth's JWKS in session mode
        keys.close()
    with pytest.raises(SettingsError, match="BETTER_AUTH_SECRET"):
        Settings.from_env({"BETTERAUTH_MODE": "session"})
    with pytest.raises(SettingsError, match="BETTERAUTH_MODE"):
        Settings.from_env({"BETTERAUTH_MODE": "cookies"})


def test_sign_out_is_refused_on_the_next_call(better_auth_db: str, tmp_path: Path) -> None:
    settings = Settings.from_env({
        "BETTERAUTH_MODE": "session", "BETTER_AUTH_SECRET": SECRET, "SESSION_STORE": better_auth_db,
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "CORS_ORIGINS": FRONT_END,
    })  # fmt: skip
    row = sign_in(better_auth_db)
    with LiveServer(create_app(settings)) as server, server.client() as client:
        client.cookies.set("better-auth.session_token", row.cookie())
        from_the_front_end = {"Origin": FRONT_END, "Sec-Fetch-Site": "same-site"}
        created = client.post("/api/tasks", json={"title": "Buy milk"}, headers=from_the_front_end)
        assert created.status_code == 201, created.text
        assert [task["title"] for task in client.get("/api/tasks").json()["items"]] == ["Buy milk"]
        cross_site = client.post("/api/tasks", json={"title": "x"}, headers={"Origin": "https://evil.example",
                                                                             "Sec-Fetch-Site": "cross-site"})  # fmt: skip
        assert (cross_site.status_code, cross_site.json()["code"]) == (403, "cross_site_request")

        engine = create_engine(better_auth_db)
        with engine.begin() as connection:  # what Better Auth's sign-out does
            connection.execute(text('delete from "session" where "token" = :token'), {"token": row.token})
        engine.dispose()
        signed_out = client.get("/api/tasks")
        assert (signed_out.status_code, signed_out.json()["code"]) == (401, "session_not_found")
