"""What every session store shares: the cookie it is asked about, the record it answers with, the protocol, and the
judging of Better Auth's own data (dates, booleans) that SQL, Redis and get-session all hand back in their own forms.

A store's lookup is written once, as a generator that yields the I/O it needs (a SQL statement, a Redis GET, an HTTP
request) and receives its result; ``run`` and ``arun`` perform that I/O, blocking or not. The verifier drives the
generator with one or the other, so the sync and async paths share every line except the I/O itself (httpx's auth
flows work the same way).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar, runtime_checkable

from .._errors import ConfigurationError, StoreUnavailableError
from .._kinds.session import SessionRecord, SignedCookie

__all__ = [
    "PerLoop",
    "SessionRecord",
    "SessionStore",
    "SignedCookie",
    "StoreLookup",
    "invalid_data",
    "missing_extra",
    "parse_bool",
    "parse_datetime",
    "record_from_documents",
]


StoreLookup = Generator[object, object, SessionRecord | None]


@runtime_checkable
class SessionStore(Protocol):
    """Read-only access to Better Auth's session store.

    ``lookup(cookie)`` is a generator: it yields store operations, receives their results, and returns the session
    (``None`` when the store has none for this token). ``run``/``arun`` perform one operation; they raise
    :class:`StoreUnavailableError` when the store cannot be reached or answers nonsense, never anything else.
    """

    def lookup(self, cookie: SignedCookie) -> StoreLookup: ...

    def run(self, operation: object) -> object: ...

    async def arun(self, operation: object) -> object: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


_Client = TypeVar("_Client")


class PerLoop(Generic[_Client]):
    """One async client (engine, connection pool) per event loop, made when a loop first needs one.

    Async drivers tie their connections to the loop that opened them; an application has one loop, but Django's async
    views under WSGI, test suites and scripts calling ``asyncio.run`` twice do not. A loop that ends takes its client
    with it (weak keys); :meth:`pop` hands the current loop's client back for closing.
    """

    def __init__(self, make: Callable[[], _Client]) -> None:
        self._make = make
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Client] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self) -> _Client:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            with self._lock:
                client = self._clients.get(loop)
                if client is None:
                    client = self._clients[loop] = self._make()
        return client

    def pop(self) -> _Client | None:
        return self._clients.pop(asyncio.get_running_loop(), None)


def missing_extra(store: str, module: str) -> ConfigurationError:
    """The error for an optional dependency that is not installed (like Starlette's for jinja2)."""
    return ConfigurationError(
        f"{store} needs the {module!r} package: install betterauth-jwt[sessions] (pip install 'betterauth-jwt[sessions]')"
    )


def invalid_data(what: str) -> StoreUnavailableError:
    # The store answered, but not with what Better Auth writes: a schema mapping or a store shared with something else.
    # Our words only; the data may hold a session token.
    return StoreUnavailableError(f"the session store holds {what}", code="store_data_invalid", retry_after=30.0)


def parse_datetime(value: object, what: str) -> datetime:
    """A Better Auth date as any store gives it back: a datetime (PostgreSQL ``timestamptz``; naive means UTC, as
    MySQL's ``timestamp(3)`` and SQLite drivers return it) or ISO-8601 text (SQLite columns, secondaryStorage JSON,
    get-session), always made timezone-aware."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise invalid_data(f"a {what} that is not an ISO-8601 date") from None
    else:
        raise invalid_data(f"a {what} that is not a date")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def parse_bool(value: object, what: str) -> bool:
    """A Better Auth boolean: ``bool`` (PostgreSQL, JSON), 0/1 (SQLite, MySQL), ``None`` (a column never set) is false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise invalid_data(f"a {what} that is not a boolean")


def _jsonable(value: object) -> object:
    # Identity.claims stay JSON-like whatever the store: dates as ISO-8601 text with a Z, as Better Auth sends them.
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def record_from_documents(
    session: object, user: object, *, token: str, revoked_before: datetime | None = None
) -> SessionRecord:
    """A record from Better Auth's ``{session, user}`` (a secondaryStorage entry, a get-session body, or SQL columns
    under their Better Auth names). Checks that the session belongs to ``token`` and to the user it comes with."""
    if not isinstance(session, Mapping):
        raise invalid_data("a session entry that is not an object")
    if user is not None and not isinstance(user, Mapping):
        raise invalid_data("a user entry that is not an object")
    session_id, user_id = session.get("id"), session.get("userId")
    if not isinstance(session_id, str) or not isinstance(user_id, str):
        raise invalid_data("a session without a string id and userId")
    stored_token = session.get("token")
    if stored_token is not None and stored_token != token:
        raise invalid_data("a session under another token")
    if user is not None and user.get("id") != user_id:
        raise invalid_data("a session whose user is another user")
    created = session.get("createdAt")
    return SessionRecord(
        session_id=session_id,
        user_id=user_id,
        expires_at=parse_datetime(session.get("expiresAt"), "session expiresAt"),
        created_at=None if created is None else parse_datetime(created, "session createdAt"),
        session={name: _jsonable(value) for name, value in session.items() if name != "token"},
        user=None if user is None else {name: _jsonable(value) for name, value in user.items()},
        banned=False if user is None else parse_bool(user.get("banned"), "user banned flag"),
        ban_expires=None
        if user is None or user.get("banExpires") is None
        else parse_datetime(user.get("banExpires"), "user banExpires"),
        revoked_before=revoked_before,
    )
