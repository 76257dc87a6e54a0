"""``RemoteJWKS``: Better Auth's public keys fetched over HTTP, cached, refreshed on rotation, and kept through outages.

This module holds the public class: its options and their validation, its HTTP clients and their closing, and the two
drivers with their single-flight locks. The lookup is written once, as the sans-I/O generators in ``refresh`` (whose
docstring tells how a lookup goes); ``get_keys`` and ``aget_keys`` only drive them, sending the one request they may ask
for (``transport``) with a sync or an async client, the way httpx drives its auth flows. What is remembered between
lookups (the key set, its TTL, failures, unknown kids) is ``key_state``.

Only a successful fetch replaces the cached set, so a transient outage never wipes it (PyJWT's ``PyJWKClient`` makes the
same point).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Generator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import ConfigurationError, KeysUnavailableError
from .._jose.algorithms import ASYMMETRIC_ALGORITHMS
from .._jose.jwk import KeySet, VerificationKey
from .fetch import FetchFailed, checked_url, default_ssl_context
from .key_state import KeyState
from .refresh import Need, lookup, should_fetch, usable
from .transport import JWKSRequest

if TYPE_CHECKING:  # httpx is imported when a RemoteJWKS is built, so `import betterauth_jwt` stays light
    import httpx

__all__ = ["RemoteJWKS"]

_T = TypeVar("_T")

DEFAULT_TTL = 300.0  # Better Auth sends no Cache-Control on its JWKS; five minutes bounds how long a removed key lives
DEFAULT_MIN_TTL = 60.0
DEFAULT_MAX_TTL = 86_400.0
DEFAULT_MAX_STALE = 86_400.0
DEFAULT_REFRESH_COOLDOWN = 30.0
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024
DEFAULT_MAX_KEYS = 64


class RemoteJWKS:
    """The key set published at ``url`` (Better Auth: ``{baseURL}/api/auth/jwks``), for a :class:`Verifier`.

    >>> keys = RemoteJWKS("https://app.example.com/api/auth/jwks")  # doctest: +SKIP
    >>> await keys.awarm()  # at start-up, e.g. in a lifespan handler; optional  # doctest: +SKIP

    Options (keyword-only, seconds unless noted):

    - ``ttl=300``: how long a fetched set is fresh when the response has no ``Cache-Control: max-age`` (Better Auth
      sends none). A ``max-age`` is honoured, clamped to ``min_ttl=60`` .. ``max_ttl=86400``.
    - ``max_stale=86400``: how long past its TTL the last good set is still served while fetches fail.
    - ``refresh_cooldown=30``: at most one refetch for unknown kids per this window; also the longest retry backoff.
    - ``timeout=5``: connect, read, write and pool timeouts, and the deadline for reading the body.
    - ``max_response_bytes=524288``, ``max_keys=64``: larger responses and key sets are refused.
    - ``allow_insecure_http=False``: plain http is refused except for loopback hosts; set it only in development.
    - ``client`` / ``async_client``: an ``httpx.Client`` / ``httpx.AsyncClient`` to fetch with (proxies, custom CAs).
      Clients passed in are not closed here; the ones created here are closed by :meth:`close` / :meth:`aclose`.
      Redirects are never followed, whatever the client's setting.
    - ``clock=time.monotonic``: for tests.

    One instance serves sync and async callers, threads and tasks. At most one fetch is in flight per thread pool
    (``get_keys``) and per event loop (``aget_keys``).
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = DEFAULT_TTL,
        min_ttl: float = DEFAULT_MIN_TTL,
        max_ttl: float = DEFAULT_MAX_TTL,
        max_stale: float = DEFAULT_MAX_STALE,
        refresh_cooldown: float = DEFAULT_REFRESH_COOLDOWN,
        timeout: float = DEFAULT_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_keys: int = DEFAULT_MAX_KEYS,
        allow_insecure_http: bool = False,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import httpx

        self.url = checked_url(url, allow_insecure_http)
        _check_range("min_ttl", min_ttl, 1, DEFAULT_MAX_TTL * 30)
        _check_range("max_ttl", max_ttl, min_ttl, DEFAULT_MAX_TTL * 30, "min_ttl")
        _check_range("ttl", ttl, min_ttl, max_ttl, "min_ttl", "max_ttl")
        _check_range("max_stale", max_stale, 0, DEFAULT_MAX_TTL * 30)
        _check_range("refresh_cooldown", refresh_cooldown, 1, 3600)
        _check_range("timeout", timeout, 0.01, 60)
        _check_range("max_response_bytes", max_response_bytes, 1024, 16 * 1024 * 1024, integer=True)
        _check_range("max_keys", max_keys, 1, 1000, integer=True)
        if client is not None and not isinstance(client, httpx.Client):
            raise ConfigurationError("client must be an httpx.Client (for an httpx.AsyncClient, use async_client=)")
        if async_client is not None and not isinstance(async_client, httpx.AsyncClient):
            raise ConfigurationError("async_client must be an httpx.AsyncClient (for an httpx.Client, use client=)")
        if not callable(clock):
            raise ConfigurationError("clock must be a callable returning seconds, such as time.monotonic")
        self.ttl, self.min_ttl, self.max_ttl = float(ttl), float(min_ttl), float(max_ttl)
        self.max_stale = float(max_stale)
        self.refresh_cooldown = float(refresh_cooldown)
        self.timeout = float(timeout)
        self.max_response_bytes = max_response_bytes
        self.max_keys = max_keys
        self._timeouts = httpx.Timeout(self.timeout)
        self._request = JWKSRequest(self.url, self._timeouts, self.timeout, self.max_response_bytes, self.max_keys)

        # Clients are built here, outside any event loop: building one reads CA files, which would block a loop.
        # No keep-alive: a fetch every few minutes gains nothing from it, and a pool-free AsyncClient is not tied to
        # the event loop of its first request.
        own: dict[str, Any] = {
            "timeout": self._timeouts,
            "follow_redirects": False,
            "limits": httpx.Limits(max_keepalive_connections=0),
            "verify": default_ssl_context(),
        }
        self._owns_client, self._owns_async_client = client is None, async_client is None
        self._client = client if client is not None else httpx.Client(**own)
        self._async_client = async_client if async_client is not None else httpx.AsyncClient(**own)

        self._state = KeyState(
            self.url,
            ttl=self.ttl,
            min_ttl=self.min_ttl,
            max_ttl=self.max_ttl,
            max_stale=self.max_stale,
            refresh_cooldown=self.refresh_cooldown,
            clock=clock,
        )
        self._fetch_lock = threading.Lock()  # single flight for threads: held across a sync fetch
        self._flights: dict[asyncio.AbstractEventLoop, asyncio.Future[None]] = {}  # single flight per event loop

    def __repr__(self) -> str:
        return f"RemoteJWKS({self.url!r})"

    # -- KeyProvider ---------------------------------------------------------------------------------------------------

    @property
    def algorithms(self) -> frozenset[str]:
        """Every asymmetric algorithm: the keys, and so their algorithms, are not known before the first fetch."""
        return ASYMMETRIC_ALGORITHMS

    @property
    def generation(self) -> int:
        """Changes each time a different key set is installed (0 before the first)."""
        return self._state.generation

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        """The keys for a token's ``kid`` and ``alg``; may fetch (blocking). Raises :class:`UnknownKeyError` (401),
        :class:`UnsupportedTokenError` (401) or :class:`KeysUnavailableError` (503)."""
        return self._state.fresh_keys(kid, alg) or self._run(lookup(self._state, kid, alg))

    async def aget_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        """Like :meth:`get_keys`; a fetch, if needed, never blocks the event loop."""
        return self._state.fresh_keys(kid, alg) or await self._arun(lookup(self._state, kid, alg))

    def fetch_key_set(self) -> KeySet:
        """One fetch and validation of the JWKS that neither reads nor changes the cache, for diagnostics (the CLI's
        ``jwks`` command): the usable keys and the refused members with their reasons. Raises
        :class:`KeysUnavailableError` whose ``code`` says why (``redirect``, ``not_json``, ...) when nothing usable came
        back."""
        result = self._request.send(self._client)
        if isinstance(result, FetchFailed):
            raise KeysUnavailableError(result.description, code=result.code)
        return result.key_set

    # -- lifecycle and readiness ----------------------------------------------------------------------------------------

    def warm(self) -> None:
        """Fetch the key set now unless a fresh one is cached; raise :class:`KeysUnavailableError` if none is usable."""
        self._run(usable(self._state, warming=True))

    async def awarm(self) -> None:
        """Like :meth:`warm`, for async start-up code such as a lifespan handler."""
        await self._arun(usable(self._state, warming=True))

    @property
    def ready(self) -> bool:
        """Whether a usable key set (fresh, or stale within ``max_stale``) is cached."""
        return self._state.ready

    def health(self) -> dict[str, object]:
        """A readiness report to expose on a health endpoint (no secrets in it: public keys' ids and our own words)."""
        return self._state.health()

    @property
    def stats(self) -> dict[str, int]:
        """Counters since start, for metrics (``betterauth_jwt.metrics``): ``fetches`` finished (successful or not),
        ``fetch_failures``, and ``stale_served``, key lookups answered with a set past its TTL because refreshing failed
        or was still under way."""
        return self._state.stats

    def close(self) -> None:
        """Close the HTTP clients created here (not injected ones). Cached keys keep serving; fetching stops."""
        self._state.closed = True
        if self._owns_client:
            self._client.close()
        # The AsyncClient created here keeps no connections (no keep-alive), so dropping it releases nothing.

    async def aclose(self) -> None:
        """Close the HTTP clients created here (not injected ones)."""
        self.close()
        if self._owns_async_client:
            await self._async_client.aclose()

    def __enter__(self) -> RemoteJWKS:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> RemoteJWKS:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- drivers: the only code that differs between sync and async ------------------------------------------------------

    def _run(self, flow: Generator[Need, None, _T]) -> _T:
        try:
            need = next(flow)
            while True:
                self._refresh(need)
                need = flow.send(None)
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    async def _arun(self, flow: Generator[Need, None, _T]) -> _T:
        try:
            need = next(flow)
            while True:
                await self._arefresh(need)
                need = flow.send(None)
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    def _refresh(self, need: Need) -> None:
        if not self._fetch_lock.acquire(blocking=False):
            if not need.wait:
                return  # another thread is fetching; the cached set serves meanwhile
            self._fetch_lock.acquire()
        try:
            if should_fetch(self._state, need):
                self._state.complete(self._request.send(self._client))
        finally:
            self._fetch_lock.release()

    async def _arefresh(self, need: Need) -> None:
        loop = asyncio.get_running_loop()
        while (flight := self._flights.get(loop)) is not None:
            if not need.wait:
                return
            # asyncio.wait, unlike awaiting the future, does not cancel the shared future if this waiter is cancelled.
            await asyncio.wait((flight,))
            if self._state.attempts != need.attempts:
                return
            # The fetching task was cancelled before it finished: the next waiter takes over.
        if not should_fetch(self._state, need):
            return
        flight = self._flights[loop] = loop.create_future()
        try:
            self._state.complete(await self._request.asend(self._async_client))
        finally:
            del self._flights[loop]
            flight.set_result(None)


def _check_range(
    name: str, value: Any, low: float, high: float, low_name: str = "", high_name: str = "", *, integer: bool = False
) -> None:
    number = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not number or not low <= value <= high:
        bounds = f"{low_name or f'{low:g}'} and {high_name or f'{high:g}'}"
        kind = "an integer" if integer else "a number"
        raise ConfigurationError(f"RemoteJWKS {name} must be {kind} between {bounds} (got {value!r})")
