"""Better Auth's session data, written the way Better Auth writes it (SQLite, PostgreSQL, Redis), and signed cookies.

The DDL mirrors Better Auth 1.7's ``getMigrations()`` output (core schema plus the admin plugin's columns); the live
interop tests in ``tests/interop/sessions`` check the same verifier against tables Better Auth creates itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

SECRET = "stores-test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)

SQLITE_DDL = (
    'create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, '
    '"emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null, '
    '"role" text, "banned" integer, "banReason" text, "banExpires" date)',
    'create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, '
    '"createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, '
    '"userId" text not null references "user" ("id") on delete cascade, "impersonatedBy" text)',
)
POSTGRES_DDL = (
    'create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, '
    '"emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, '
    '"updatedAt" timestamptz default CURRENT_TIMESTAMP not null, "role" text, "banned" boolean, "banReason" text, '
    '"banExpires" timestamptz)',
    'create table "session" ("id" text not null primary key, "expiresAt" timestamptz not null, '
    '"token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, '
    '"updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, '
    '"userId" text not null references "user" ("id") on delete cascade, "impersonatedBy" text)',
)


def new_id(length: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def sign(token: str, secret: str = SECRET) -> str:
    """``<token>.<std base64 HMAC-SHA256>``, as Better Auth signs the session_token cookie."""
    mac = hmac.digest(secret.encode(), token.encode(), hashlib.sha256)
    return f"{token}.{base64.b64encode(mac).decode()}"


def tampered(signed: str) -> str:
    """The signed value with one bit of its signature flipped, still well-formed, URL-encoded."""
    token, _, signature = signed.rpartition(".")
    raw = base64.b64decode(signature)
    return quote(f"{token}.{base64.b64encode(bytes([raw[0] ^ 1]) + raw[1:]).decode()}", safe="")


def cookie_value(token: str, secret: str = SECRET) -> str:
    """The cookie as the browser sends it: URL-encoded, as Better Auth's Set-Cookie writes it."""
    return quote(sign(token, secret), safe="")


def iso(moment: datetime) -> str:
    """Better Auth's JSON and SQLite date text: ISO-8601, UTC, milliseconds, Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Row:
    """One Better Auth user with one session."""

    token: str = field(default_factory=new_id)
    session_id: str = field(default_factory=new_id)
    user_id: str = field(default_factory=new_id)
    email: str = field(default_factory=lambda: f"{new_id(8).lower()}@example.test")
    name: str = "Ada"
    created_at: datetime = NOW - timedelta(hours=1)
    expires_at: datetime = NOW + timedelta(days=7)
    banned: bool | None = None
    ban_expires: datetime | None = None
    role: str | None = "user"

    def user(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "name": self.name,
            "email": self.email,
            "emailVerified": True,
            "image": None,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "role": self.role,
            "banned": self.banned,
            "banReason": "spam" if self.banned else None,
            "banExpires": self.ban_expires,
        }

    def session(self) -> dict[str, Any]:
        return {
            "id": self.session_id,
            "expiresAt": self.expires_at,
            "token": self.token,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "ipAddress": "127.0.0.1",
            "userAgent": "pytest",
            "userId": self.user_id,
            "impersonatedBy": None,
        }

    def redis_value(self) -> str:
        """secondaryStorage's value: JSON {session, user}, dates as ISO text (no admin fields unless set)."""

        def encode(document: dict[str, Any]) -> dict[str, Any]:
            return {k: iso(v) if isinstance(v, datetime) else v for k, v in document.items() if v is not None}

        return json.dumps({"session": encode(self.session()), "user": encode(self.user())})

    def cookie(self, secret: str = SECRET) -> str:
        return cookie_value(self.token, secret)


def sqlite_values(document: dict[str, Any]) -> dict[str, Any]:
    """SQLite's forms: dates as ISO text, booleans as 0/1."""
    return {k: iso(v) if isinstance(v, datetime) else int(v) if isinstance(v, bool) else v for k, v in document.items()}


def create_tables(url: str, *rows: Row, tables: bool = True) -> None:
    """Better Auth's tables (unless ``tables=False``) and these rows in the SQLite or PostgreSQL database at ``url``, as
    its migrations and sign-ins write them."""
    from sqlalchemy import create_engine, text

    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in (SQLITE_DDL if dialect == "sqlite" else POSTGRES_DDL) if tables else ():
            connection.execute(text(statement))
        for row in rows:
            for insert, values in insert_statements(dialect, row):
                connection.execute(text(insert), values)
    engine.dispose()


def insert_statements(dialect: str, row: Row) -> Iterator[tuple[str, dict[str, Any]]]:
    for table, document in (("user", row.user()), ("session", row.session())):
        values = sqlite_values(document) if dialect == "sqlite" else document
        columns = ", ".join(f'"{name}"' for name in values)
        placeholders = ", ".join(f":{name}" for name in values)
        yield f'insert into "{table}" ({columns}) values ({placeholders})', values
