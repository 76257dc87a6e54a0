"""Configuration from the environment, validated in full at start-up: a mistake stops the service with a message that
names the variable to fix, instead of surfacing later as a 500 on some request."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from betterauth_jwt import (
    ConfigurationError,
    OriginCheck,
    RedisSessionStore,
    RemoteSessionStore,
    SessionVerifier,
    SharedSecret,
    SqlSessionStore,
    Verifier,
)

DEFAULT_BETTER_AUTH_URL = "http://localhost:3000"
DEFAULT_DATABASE_URL = f"sqlite:///{Path(__file__).resolve().parent.parent / 'todo.db'}"
DEFAULT_CORS_ORIGINS = ("http://localhost:3000", "http://127.0.0.1:3000")


class SettingsError(Exception):
    """A configuration value is unusable; the message starts with the environment variable's name."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@contextmanager
def _blame(variable: str) -> Iterator[None]:
    # The library's messages are safe to show (never the secret) but do not know which variable the value came from.
    try:
        yield
    except ConfigurationError as exc:
        raise SettingsError(variable, exc.description) from None


def verifier_from(better_auth_url: str, secret: str | None) -> Verifier:
    """JWKS mode (keys fetched from Better Auth) or, with a secret, shared-secret HS256 mode. In both, ``iss`` and
    ``aud`` must be the origin of ``better_auth_url``, as Better Auth sets them."""
    if secret is not None:
        with _blame("BETTER_AUTH_SECRET"):
            SharedSecret(secret)  # checked on its own first, so a weak secret is not blamed on the URL
    with _blame("BETTER_AUTH_URL"):
        return Verifier.for_better_auth(better_auth_url, secret=secret)


def sessions_from(secret: str | None, store_url: str, cors_origins: tuple[str, ...]) -> SessionVerifier:
    """Session mode (``BETTERAUTH_MODE=session``): Better Auth's session cookie, checked against its session store on
    every request, so that sign-out is refused on the very next call. ``SESSION_STORE`` says where: Better Auth's
    database (``sqlite:///...``, ``postgresql://...``), its Redis secondaryStorage (``redis://...``), or Better Auth
    itself (``http(s)://...``, its get-session endpoint; the default, ``BETTER_AUTH_URL``)."""
    if secret is None:
        raise SettingsError(
            "BETTER_AUTH_SECRET", "session mode needs Better Auth's secret: it signs the session cookie"
        )
    store: SqlSessionStore | RedisSessionStore | RemoteSessionStore
    with _blame("SESSION_STORE"):
        if store_url.startswith(("redis://", "rediss://")):
            store = RedisSessionStore(store_url)
        elif store_url.startswith(("http://", "https://")):
            store = RemoteSessionStore(store_url)
        else:
            store = SqlSessionStore(database_url_from(store_url), admin=True)
    with _blame("BETTER_AUTH_SECRET"):
        return SessionVerifier(secret=secret, store=store, csrf=OriginCheck(cors_origins))


def database_url_from(raw: str) -> str:
    """SQLite or PostgreSQL. ``postgres://`` and ``postgresql://`` are rewritten to the psycopg 3 driver, the one we
    install (SQLAlchemy would otherwise pick psycopg2)."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingsError("DATABASE_URL", "not a database URL (e.g. sqlite:///todo.db or postgresql://...)") from None
    if url.drivername in ("postgres", "postgresql", "postgresql+psycopg"):
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername != "sqlite":
        raise SettingsError("DATABASE_URL", f"unsupported database {url.drivername!r}; use sqlite:/// or postgresql://")
    elif url.database in (None, "", ":memory:"):
        # Each pooled connection would get its own empty in-memory database.
        raise SettingsError("DATABASE_URL", "an in-memory SQLite database is not supported; give a file path")
    return url.render_as_string(hide_password=False)


def cors_origins_from(raw: str) -> tuple[str, ...]:
    """Exact origins (scheme://host[:port]) the browser front end is served from; empty means none."""
    origins = []
    # Lower-cased: browsers send the Origin header that way, and the CORS middleware compares exactly.
    for item in (part.strip().rstrip("/").lower() for part in raw.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or parts.fragment:
            raise SettingsError("CORS_ORIGINS", f"{item!r} is not an origin such as http://localhost:3000")
        origins.append(item)
    return tuple(origins)


def port_from(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 65535:
        raise SettingsError("PORT", f"{raw!r} is not a TCP port (1-65535)")
    return int(raw)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs. Tests build it directly (with a verifier from ``betterauth_jwt.testing``);
    ``python -m todo_api`` builds it with :meth:`from_env`."""

    verifier: Verifier
    database_url: str = field(default_factory=lambda: database_url_from(DEFAULT_DATABASE_URL), repr=False)
    sessions: SessionVerifier | None = None  # session mode: the session cookie too, checked against Better Auth's store
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        database_url = database_url_from(environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        cors_origins = cors_origins_from(environ.get("CORS_ORIGINS", ",".join(DEFAULT_CORS_ORIGINS)))
        port = port_from(environ.get("PORT") or "8000")
        secret = environ.get("BETTER_AUTH_SECRET") or None  # set but empty (as compose files do) means unset
        better_auth_url = environ.get("BETTER_AUTH_URL") or DEFAULT_BETTER_AUTH_URL
        mode = environ.get("BETTERAUTH_MODE") or "jwt"
        if mode not in ("jwt", "session"):
            raise SettingsError("BETTERAUTH_MODE", f"{mode!r} is neither 'jwt' nor 'session'")
        sessions = None
        if mode == "session":
            # The secret signs the session cookie; bearer JWTs (API clients) are then checked with the JWKS.
            store_url = environ.get("SESSION_STORE") or better_auth_url
            sessions = sessions_from(secret, store_url, cors_origins)
            secret = None
        # Last: in JWKS mode the verifier owns HTTP clients, so it is built only once everything else is valid.
        verifier = verifier_from(better_auth_url, secret)
        host = environ.get("HOST") or "127.0.0.1"
        return cls(
            verifier=verifier,
            database_url=database_url,
            cors_origins=cors_origins,
            host=host,
            port=port,
            sessions=sessions,
        )
