"""``RedisSessionStore``: Better Auth's ``secondaryStorage`` in Redis, read (never written).

Better Auth's layout (BETTER_AUTH.md section 7): the key is the raw session token, no prefix; the value is JSON
``{"session": {...}, "user": {...}}`` with ISO-8601 dates, and expires with the session. Revoke-all, user deletion and
bans also write ``revoked-sessions-before-<userId>`` (milliseconds since the epoch): a session created before it is
revoked even if its key is still there. So a lookup is two GETs: the session, then its user's marker.

With secondaryStorage, sessions live only there unless ``session.storeSessionInDatabase`` is set; a miss is a miss
(401), never a database fallback. ``redis`` is optional: ``pip install 'betterauth-jwt[sessions]'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from .._errors import ConfigurationError, StoreUnavailableError
from .._jose.json import loads_object
from .base import PerLoop, SignedCookie, StoreLookup, invalid_data, missing_extra, record_from_documents

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["RedisSessionStore"]

DEFAULT_TIMEOUT = 2.0
DEFAULT_MAX_VALUE_BYTES = 64 * 1024  # a session and a user as JSON are well under 2 KiB
REVOKED_BEFORE = "revoked-sessions-before-"


@dataclass(frozen=True, slots=True)
class _Get:
    key: str  # holds the session token: never logged, hidden from repr
    label: str  # what it is, for messages

    def __repr__(self) -> str:
        return f"_Get({self.label})"


class RedisSessionStore:
    """Better Auth's secondaryStorage in Redis, for a :class:`SessionVerifier`.

    >>> store = RedisSessionStore("redis://cache:6379/0")  # doctest: +SKIP

    - ``url``: a ``redis://`` / ``rediss://`` URL; or ``client=`` (``redis.Redis``) and ``async_client=``
      (``redis.asyncio.Redis``) built yourself (not closed here).
    - ``key_prefix=""``: if your ``secondaryStorage`` adds a prefix to every key, the same prefix.
    - ``timeout=2``: connect and read timeout in seconds; a slow Redis is an outage (503), not a refusal.
    - ``max_value_bytes=65536``: a larger value is refused as not Better Auth's.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        async_client: redis.asyncio.Redis | None = None,
        key_prefix: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
    ) -> None:
        try:
            import redis as redis_module
            import redis.asyncio as redis_asyncio
        except ImportError:
            raise missing_extra("RedisSessionStore", "redis") from None
        if url is None and (client is None or async_client is None):
            raise ConfigurationError("RedisSessionStore needs a redis:// URL, or both client= and async_client=")
        if url is not None and (not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://"))):
            raise ConfigurationError("RedisSessionStore url must be a redis://, rediss:// or unix:// URL")
        if not isinstance(key_prefix, str):
            raise ConfigurationError("key_prefix must be a string")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0.01 <= timeout <= 60:
            raise ConfigurationError("timeout must be between 0.01 and 60 seconds")
        if not 1024 <= max_value_bytes <= 16 * 1024 * 1024:
            raise ConfigurationError("max_value_bytes must be between 1024 and 16777216")
        options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        self._owns_client = client is None
        # Clients connect lazily, on their first command: building them here does no I/O.
        self._client = client or redis_module.Redis.from_url(str(url), **options)
        # An async client is tied to the event loop that first used it: one per loop, unless one is given.
        self._async_client = async_client
        self._async_clients = PerLoop(lambda: redis_asyncio.Redis.from_url(str(url), **options))
        self.key_prefix = key_prefix
        self.max_value_bytes = max_value_bytes
        self._label = "<client>" if url is None else _without_password(url)

    def __repr__(self) -> str:
        return f"RedisSessionStore({self._label!r})"

    # -- the lookup, written once (Better Auth's findSession over secondaryStorage) -------------------------------------

    def lookup(self, cookie: SignedCookie) -> StoreLookup:
        value = yield _Get(self.key_prefix + cookie.token, "session")
        if value is None:
            return None
        document = self._json(value)
        session, user = document.get("session"), document.get("user")
        user_id = session.get("userId") if isinstance(session, dict) else None
        if not isinstance(user_id, str):
            raise invalid_data("a session entry without a userId")
        marker = yield _Get(f"{self.key_prefix}{REVOKED_BEFORE}{user_id}", "revocation marker")
        return record_from_documents(session, user, token=cookie.token, revoked_before=_revoked_before(marker))

    def _json(self, value: object) -> dict[str, Any]:
        document = (
            loads_object(value) if isinstance(value, bytes | str) and len(value) <= self.max_value_bytes else None
        )
        if document is None:
            raise invalid_data("a session entry that is not Better Auth's JSON object")
        return document

    # -- I/O ------------------------------------------------------------------------------------------------------------

    def run(self, operation: object) -> object:
        from redis.exceptions import RedisError

        get = cast(_Get, operation)
        try:
            return self._client.get(get.key)
        except RedisError as exc:
            raise _unavailable(exc, get) from None

    async def arun(self, operation: object) -> object:
        from redis.exceptions import RedisError

        get = cast(_Get, operation)
        try:
            client = self._async_client or self._async_clients.get()
            return await client.get(get.key)
        except RedisError as exc:
            raise _unavailable(exc, get) from None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    async def aclose(self) -> None:
        """Close the clients created here: the sync one, and the async one of the running event loop."""
        self.close()
        client = self._async_clients.pop()
        if client is not None:
            await client.aclose()


def _revoked_before(marker: object) -> datetime | None:
    # Better Auth reads it with Number(): anything that is not a number revokes nothing.
    if isinstance(marker, bytes):
        marker = marker.decode("ascii", "replace")
    if not isinstance(marker, str) or not marker.isdigit() or len(marker) > 16:
        return None
    return datetime.fromtimestamp(int(marker) / 1000, UTC)


def _without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}://***@{host}" if at and credentials else url


def _unavailable(exc: Exception, get: _Get) -> StoreUnavailableError:
    # Our words only: a Redis error may quote the command, and the command holds the session token.
    return StoreUnavailableError(
        f"Redis could not be read ({type(exc).__name__} reading the {get.label})", retry_after=5.0
    )
