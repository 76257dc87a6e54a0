"""The :class:`SessionVerifier`: Better Auth's signed ``session_token`` cookie, checked against Better Auth's own store.

Per request: size cap, parse, HMAC with the current secret (a bad cookie never reaches the store), one store lookup
(SQL, Redis or Better Auth's get-session), the refusal rules, an :class:`Identity`. The lookup is the only I/O; it is
written once (``_flow``) and driven by ``verify`` (blocking I/O) or ``averify`` (awaited I/O).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable
from typing import Protocol, TypeVar

from ._cache import VerifiedTokenCache
from ._errors import ConfigurationError, InvalidTokenError, StoreUnavailableError
from ._keys.fixed import SharedSecret
from ._kinds.identity import Identity
from ._kinds.session import DEFAULT_MAX_COOKIE_BYTES, judge_session, parse_session_cookie, signature_check
from ._logging import logger, token_fingerprint
from ._stores.base import SessionStore

__all__ = ["RequestCheck", "SessionVerifier"]

_T = TypeVar("_T")

DEFAULT_COOKIE_PREFIX = "better-auth"
SECURE_PREFIX = "__Secure-"
MAX_CACHE_TTL = 300.0
DEFAULT_CACHE_SIZE = 10_000


class RequestCheck(Protocol):
    """What a session verifier needs from its CSRF check (``OriginCheck``): adapters run it before the cookie."""

    def check(self, method: str, headers: Iterable[tuple[bytes, bytes]], *, websocket: bool = False) -> None: ...


class SessionVerifier:
    """Verifies Better Auth's session cookie against its session store; sign-out takes effect on the next request.

    >>> sessions = SessionVerifier(  # doctest: +SKIP
    ...     secret=SharedSecret(os.environ["BETTER_AUTH_SECRET"]),
    ...     store=SqlSessionStore("postgresql+psycopg://..."),
    ...     csrf=OriginCheck(["https://app.example.com"]),
    ... )
    >>> identity = await sessions.averify(cookie_value)  # doctest: +SKIP

    - ``secret``: Better Auth's current secret (a ``SharedSecret``, or the text). Only the first secret of a
      ``SharedSecret`` is used: Better Auth signs and checks this cookie with its current secret only.
    - ``store``: ``SqlSessionStore``, ``RedisSessionStore`` or ``RemoteSessionStore`` (read only).
    - ``csrf``: an ``OriginCheck``, required: a cookie is sent by the browser on every request, whoever caused it.
      ``None`` must be written out, and only suits a value that never comes from a cookie (the bearer plugin's token).
    - ``cookie_name``: the exact cookie to read; by default ``__Secure-{cookie_prefix}.session_token`` or
      ``{cookie_prefix}.session_token`` (Better Auth's ``advanced.cookiePrefix``, default ``better-auth``).
    - ``cache_ttl=0``: seconds a verified cookie is trusted without asking the store again (at most 300). Off by
      default: with it, a signed-out or revoked session keeps working for up to that long.
    - ``cache_size``, ``max_cookie_bytes``, ``clock`` (``time.time``; injectable for tests).
    """

    def __init__(
        self,
        *,
        secret: SharedSecret | str | bytes,
        store: SessionStore,
        csrf: RequestCheck | None,
        cookie_name: str | None = None,
        cookie_prefix: str = DEFAULT_COOKIE_PREFIX,
        cache_ttl: float = 0.0,
        cache_size: int = DEFAULT_CACHE_SIZE,
        max_cookie_bytes: int = DEFAULT_MAX_COOKIE_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(secret, str | bytes):
            secret = SharedSecret(secret)
        if not isinstance(secret, SharedSecret) or "HS256" not in secret.algorithms:
            raise ConfigurationError("secret must be Better Auth's secret: a SharedSecret (HS256) or its text")
        if not isinstance(store, SessionStore):
            raise ConfigurationError("store must be a SqlSessionStore, RedisSessionStore or RemoteSessionStore")
        if csrf is not None and not callable(getattr(csrf, "check", None)):
            raise ConfigurationError("csrf must be an OriginCheck (or None, written out, for bearer-only use)")
        if cookie_name is not None and (not isinstance(cookie_name, str) or not cookie_name):
            raise ConfigurationError("cookie_name must be a non-empty string")
        if not isinstance(cookie_prefix, str) or not cookie_prefix:
            raise ConfigurationError("cookie_prefix must be a non-empty string")
        if isinstance(cache_ttl, bool) or not isinstance(cache_ttl, int | float) or not 0 <= cache_ttl <= MAX_CACHE_TTL:
            raise ConfigurationError(f"cache_ttl must be between 0 and {MAX_CACHE_TTL:g} seconds")
        if not 128 <= max_cookie_bytes <= 16 * 1024:
            raise ConfigurationError("max_cookie_bytes must be between 128 and 16384")
        current = secret.get_keys(None, "HS256")[0]  # the current secret, first in the list

        def verify_signature(token: bytes, signature: bytes) -> bool:
            return current.verify("HS256", token, signature)  # hmac.compare_digest inside

        self._check_signature = signature_check(verify_signature)
        self.store = store
        self.csrf = csrf
        self.cookie_names: tuple[str, ...] = (
            (cookie_name,)
            if cookie_name is not None
            else (f"{SECURE_PREFIX}{cookie_prefix}.session_token", f"{cookie_prefix}.session_token")
        )
        self.cache_ttl = float(cache_ttl)
        self.max_cookie_bytes = max_cookie_bytes
        self._clock = clock
        self._cache: VerifiedTokenCache[Identity] = VerifiedTokenCache(cache_size if cache_ttl > 0 else 0)
        self._lookups = 0

    def __repr__(self) -> str:
        return (
            f"SessionVerifier(store={self.store!r}, cookie_names={self.cookie_names!r}, cache_ttl={self.cache_ttl:g})"
        )

    def verify(self, cookie_value: str) -> Identity:
        """The identity of a session cookie value (URL-encoded or not); raise :class:`InvalidTokenError` (401) or
        :class:`StoreUnavailableError` (503). Blocking: for sync frameworks (Flask, Django)."""
        flow = self._flow(cookie_value)
        try:
            operation = next(flow)
            while True:
                try:
                    result = self.store.run(operation)
                except StoreUnavailableError as exc:
                    operation = flow.throw(exc)
                else:
                    operation = flow.send(result)
        except StopIteration as finished:
            identity: Identity = finished.value
            return identity

    async def averify(self, cookie_value: str) -> Identity:
        """Like :meth:`verify`; the store is read without blocking the event loop."""
        flow = self._flow(cookie_value)
        try:
            operation = next(flow)
            while True:
                try:
                    result = await self.store.arun(operation)
                except StoreUnavailableError as exc:
                    operation = flow.throw(exc)
                else:
                    operation = flow.send(result)
        except StopIteration as finished:
            identity: Identity = finished.value
            return identity

    def _flow(self, cookie_value: str) -> Generator[object, object, Identity]:
        """Everything but the store's I/O, which it yields: cache, parse, signature, lookup, judgement."""
        now = self._clock()
        if type(cookie_value) is str and len(cookie_value) <= self.max_cookie_bytes:  # the size cap before any hashing
            cached = self._cache.get(cookie_value, now, 0)
            if cached is not None:
                return cached
        token, value, signature = parse_session_cookie(cookie_value, self.max_cookie_bytes)
        fingerprint = token_fingerprint(token)
        try:
            cookie = self._check_signature(token, value, signature)
            self._lookups += 1
            record = yield from self.store.lookup(cookie)
            identity = judge_session(record, now)
        except InvalidTokenError as refused:
            logger.debug("session %s refused: %s", fingerprint, refused.code)
            raise
        except StoreUnavailableError as outage:
            logger.warning("session %s: the session store is unavailable (%s)", fingerprint, outage.code)
            raise
        if self.cache_ttl > 0:
            valid_until = min(now + self.cache_ttl, identity.expires_at.timestamp())
            self._cache.put(cookie_value, identity, now, valid_until, 0)
        return identity

    @property
    def max_token_bytes(self) -> int:
        """The largest value accepted (``max_cookie_bytes``), under the name the web layer reads from every verifier."""
        return self.max_cookie_bytes

    def _cached_identity(self, cookie_value: str) -> Identity | None:
        """The identity of a value verified within ``cache_ttl``, else ``None``; never verifies (for the web layer)."""
        if len(cookie_value) > self.max_cookie_bytes:
            return None
        return self._cache.get(cookie_value, self._clock(), 0)

    @property
    def stats(self) -> dict[str, int]:
        """Counters since start: ``cache_hits`` and ``store_lookups`` (cookies whose signature verified)."""
        return {"cache_hits": self._cache.hits, "store_lookups": self._lookups}

    def clear_cache(self) -> None:
        """Forget every cached verification (e.g. after revoking sessions, when ``cache_ttl`` is on)."""
        self._cache.clear()

    def close(self) -> None:
        """Close the store's connections (engines, clients) that it created."""
        self.store.close()

    async def aclose(self) -> None:
        await self.store.aclose()
