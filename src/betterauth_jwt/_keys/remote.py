"""``RemoteJWKS``: Better Auth's public keys fetched over HTTP, cached, refreshed on rotation, and kept through outages.

How a key lookup goes. It is written once, as the generator ``_lookup``; ``get_keys`` and ``aget_keys`` only drive it,
doing the one fetch it may ask for with a sync or an async HTTP client (the way httpx drives its auth flows):

1. A fresh key set is cached: answer from it. No lock, no I/O; almost every request takes this path.
2. Nothing is cached, or the set is older than its TTL: fetch (one fetch in flight, however many callers wait for it).
   When the fetch fails, the last good set is served for up to ``max_stale`` seconds past its TTL; with nothing usable,
   :class:`KeysUnavailableError` (503). Failed fetches are retried with a backoff (1, 2, 4 ... ``refresh_cooldown`` s).
3. The token's ``kid`` is not in a fresh set: Better Auth has probably rotated its key, so refetch once, unless an
   unknown-kid refetch already happened within ``refresh_cooldown`` seconds. A flood of random kids therefore costs one
   fetch per window (other libraries fetch once per kid, which turns them into an amplifier). Kids still unknown after a
   refetch are remembered for the window and refused at once.

Only a successful fetch replaces the cached set, so a transient outage never wipes it (PyJWT's ``PyJWKClient`` makes the
same point). An unknown kid is a bad token (401) while the endpoint answers; while it is failing, an unknown kid may be a
new key we cannot fetch, so it is an outage (503) rather than a rejection that would log users out.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import BetterAuthJWTError, ConfigurationError, KeysUnavailableError, UnknownKeyError
from .._jose.algorithms import ASYMMETRIC_ALGORITHMS
from .._jose.jwk import KeySet, VerificationKey
from .._logging import logger, token_fingerprint
from .fetch import (
    REQUEST_HEADERS,
    FetchFailed,
    ResponseBody,
    checked_url,
    default_ssl_context,
    max_age,
    parse_jwks,
    transport_failure,
)
from .fixed import select_keys

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
_REMEMBERED_UNKNOWN_KIDS = 1024


@dataclass(frozen=True, slots=True)
class _Cached:
    """One installed key set and its timetable (clock seconds). Replaced whole, so readers need no lock."""

    key_set: KeySet
    document: object
    generation: int
    fetched_at: float
    fresh_until: float
    usable_until: float


@dataclass(frozen=True, slots=True)
class _Fetched:
    document: object
    key_set: KeySet
    ttl: float


@dataclass(frozen=True, slots=True)
class _Need:
    """What ``_lookup`` asks its driver for: a fetch, unless one finished since ``attempts`` (then it looks again).

    ``wait`` is false when a usable set is cached: such a caller answers from it rather than queue behind a fetch
    another caller has in flight.
    """

    reason: str  # "cold", "expired", "unknown kid", "warm"
    attempts: int
    wait: bool
    kid: str | None = None


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
        self._clock = clock
        self._timeouts = httpx.Timeout(self.timeout)

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

        self._cached: _Cached | None = None
        self._state_lock = threading.Lock()  # held for bookkeeping only, never across I/O
        self._fetch_lock = threading.Lock()  # single flight for threads: held across a sync fetch
        self._flights: dict[asyncio.AbstractEventLoop, asyncio.Future[None]] = {}  # single flight per event loop
        self._attempts = 0  # fetches finished, successful or not
        self._failed_fetches = 0  # failed fetches since start (stats)
        self._stale_served = 0  # lookups answered with a set past its TTL (stats)
        self._generations = 0
        self._failures = 0  # consecutive failed fetches
        self._retry_at = float("-inf")
        self._last_error: FetchFailed | None = None
        self._kid_refresh_after = float("-inf")
        self._cooldown_logged_until = float("-inf")
        self._unknown_kids: OrderedDict[str, float] = OrderedDict()
        self._closed = False

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
        cached = self._cached
        return cached.generation if cached is not None else 0

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        """The keys for a token's ``kid`` and ``alg``; may fetch (blocking). Raises :class:`UnknownKeyError` (401),
        :class:`UnsupportedTokenError` (401) or :class:`KeysUnavailableError` (503)."""
        return self._fresh_keys(kid, alg) or self._run(self._lookup(kid, alg))

    async def aget_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        """Like :meth:`get_keys`; a fetch, if needed, never blocks the event loop."""
        return self._fresh_keys(kid, alg) or await self._arun(self._lookup(kid, alg))

    def _fresh_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        """The hot path: a fresh set holding this kid answers with no lock, no generator, no I/O. ``()`` otherwise."""
        cached = self._cached
        if cached is None or kid not in cached.key_set.by_kid or self._clock() >= cached.fresh_until:
            return ()
        return select_keys(cached.key_set, kid, alg)

    def fetch_key_set(self) -> KeySet:
        """One fetch and validation of the JWKS that neither reads nor changes the cache, for diagnostics (the CLI's
        ``jwks`` command): the usable keys and the refused members with their reasons. Raises
        :class:`KeysUnavailableError` whose ``code`` says why (``redirect``, ``not_json``, ...) when nothing usable came
        back."""
        result = self._fetch()
        if isinstance(result, FetchFailed):
            raise KeysUnavailableError(result.description, code=result.code)
        return result.key_set

    # -- lifecycle and readiness ----------------------------------------------------------------------------------------

    def warm(self) -> None:
        """Fetch the key set now unless a fresh one is cached; raise :class:`KeysUnavailableError` if none is usable."""
        self._run(self._usable(warming=True))

    async def awarm(self) -> None:
        """Like :meth:`warm`, for async start-up code such as a lifespan handler."""
        await self._arun(self._usable(warming=True))

    @property
    def ready(self) -> bool:
        """Whether a usable key set (fresh, or stale within ``max_stale``) is cached."""
        cached = self._cached
        return cached is not None and self._clock() < cached.usable_until

    def health(self) -> dict[str, object]:
        """A readiness report to expose on a health endpoint (no secrets in it: public keys' ids and our own words)."""
        now, cached, error = self._clock(), self._cached, self._last_error
        return {
            "url": self.url,
            "ready": cached is not None and now < cached.usable_until,
            "stale": cached is not None and now >= cached.fresh_until,
            "key_count": len(cached.key_set.keys) if cached else 0,
            "kids": sorted(cached.key_set.by_kid) if cached else [],
            "age_seconds": round(now - cached.fetched_at, 3) if cached else None,
            "generation": cached.generation if cached else 0,
            "last_error_code": error.code if error else None,
            "last_error": error.description if error else None,
        }

    @property
    def stats(self) -> dict[str, int]:
        """Counters since start, for metrics (``betterauth_jwt.metrics``): ``fetches`` finished (successful or not),
        ``fetch_failures``, and ``stale_served``, key lookups answered with a set past its TTL because refreshing failed
        or was still under way."""
        return {"fetches": self._attempts, "fetch_failures": self._failed_fetches, "stale_served": self._stale_served}

    def close(self) -> None:
        """Close the HTTP clients created here (not injected ones). Cached keys keep serving; fetching stops."""
        self._closed = True
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

    # -- the lookup, written once ----------------------------------------------------------------------------------------

    def _lookup(self, kid: str | None, alg: str) -> Generator[_Need, None, Sequence[VerificationKey]]:
        attempts = self._attempts
        cached = yield from self._usable()
        try:
            return select_keys(cached.key_set, kid, alg)
        except UnknownKeyError as miss:
            if kid is None or self._attempts != attempts or self._recently_unknown(kid):
                # No kid (a refetch cannot make it unambiguous), a fetch since this lookup began, or already refetched
                # for this kid within the window: nothing new to learn.
                raise self._unknown(kid, miss) from None
        yield _Need("unknown kid", self._attempts, wait=True, kid=kid)
        try:
            return select_keys((self._cached or cached).key_set, kid, alg)
        except UnknownKeyError as miss:
            raise self._unknown(kid, miss) from None

    def _usable(self, *, warming: bool = False) -> Generator[_Need, None, _Cached]:
        """The cached set, after a fetch if it is missing or expired; :class:`KeysUnavailableError` if none is usable."""
        cached = self._cached
        if cached is not None and self._clock() < cached.fresh_until:
            return cached
        has_usable = cached is not None and self._clock() < cached.usable_until
        reason = "warm" if warming else "expired" if cached is not None else "cold"
        yield _Need(reason, self._attempts, wait=warming or not has_usable)
        cached, now = self._cached, self._clock()
        if cached is None or now >= cached.usable_until:
            raise self._unavailable(now)
        if now >= cached.fresh_until:
            self._stale_served += 1
            logger.debug("JWKS %s: serving keys %.0f s past their TTL", self.url, now - cached.fresh_until)
        return cached

    def _unknown(self, kid: str | None, miss: UnknownKeyError) -> BetterAuthJWTError:
        if self._last_error is not None:
            # The endpoint is failing: this kid may be a key published since, which we cannot fetch.
            return self._unavailable(self._clock())
        logger.debug("JWKS %s: no key %s", self.url, _kid_label(kid))
        if kid is not None:
            self._remember_unknown(kid)
        return miss

    def _recently_unknown(self, kid: str) -> bool:
        return self._unknown_kids.get(kid, float("-inf")) > self._clock()

    def _remember_unknown(self, kid: str) -> None:
        now = self._clock()
        with self._state_lock:
            remembered = self._unknown_kids
            if remembered.get(kid, float("-inf")) > now:
                return  # the window runs from the first miss; repeating the kid does not extend it
            remembered[kid] = now + self.refresh_cooldown
            remembered.move_to_end(kid)
            while len(remembered) > _REMEMBERED_UNKNOWN_KIDS:
                remembered.popitem(last=False)

    def _unavailable(self, now: float) -> KeysUnavailableError:
        error = self._last_error
        if self._closed:
            reason = "RemoteJWKS is closed"
        elif error is not None:
            reason = error.description
        else:
            reason = "no key set has been fetched yet"
        return KeysUnavailableError(
            f"the signing keys are unavailable: {reason}", retry_after=max(1.0, self._retry_at - now)
        )

    # -- bookkeeping shared by both drivers ------------------------------------------------------------------------------

    def _begin(self, need: _Need) -> bool:
        """Whether the caller that now owns the flight should fetch. Reserves the unknown-kid window when it says yes."""
        now = self._clock()
        with self._state_lock:
            if self._closed or self._attempts != need.attempts:
                return False  # closed, or someone fetched while this caller waited: look at their result first
            if now < self._retry_at and need.reason != "warm":
                logger.debug("JWKS %s: not retrying for another %.1f s after a failure", self.url, self._retry_at - now)
                return False
            if need.reason == "unknown kid":
                self._forget_unknown_kids(now)
                if now < self._kid_refresh_after:
                    if now >= self._cooldown_logged_until:  # once per window: a flood must not flood the logs
                        self._cooldown_logged_until = self._kid_refresh_after
                        logger.info(
                            "JWKS %s: unknown kids refused without refetching for %.1f s (cooldown)",
                            self.url,
                            self._kid_refresh_after - now,
                        )
                    else:
                        logger.debug("JWKS %s: no refetch %s (cooldown)", self.url, _kid_label(need.kid))
                    return False
                self._kid_refresh_after = now + self.refresh_cooldown
                logger.info("JWKS %s has no key %s: refetching (key rotation?)", self.url, _kid_label(need.kid))
            else:
                logger.debug("JWKS %s: fetching (%s)", self.url, need.reason)
            return True

    def _forget_unknown_kids(self, now: float) -> None:
        remembered = self._unknown_kids
        while remembered and next(iter(remembered.values())) <= now:
            remembered.popitem(last=False)

    def _complete(self, outcome: _Fetched | FetchFailed) -> None:
        now = self._clock()
        with self._state_lock:
            self._attempts += 1
            previous = self._cached
            if isinstance(outcome, FetchFailed):
                self._failures += 1
                self._failed_fetches += 1
                self._retry_at = now + min(self.refresh_cooldown, 2.0 ** (self._failures - 1))
                self._last_error = outcome
                if previous is not None and now < previous.usable_until:
                    logger.warning(
                        "JWKS fetch from %s failed (%s); serving the last good key set, fetched %.0f s ago",
                        self.url,
                        outcome.description,
                        now - previous.fetched_at,
                    )
                else:
                    logger.warning("JWKS fetch from %s failed (%s); no usable keys", self.url, outcome.description)
                return
            changed = previous is None or previous.document != outcome.document
            if changed:
                self._generations += 1
            generation = self._generations
            self._cached = _Cached(
                key_set=outcome.key_set,
                document=outcome.document,
                generation=generation,
                fetched_at=now,
                fresh_until=now + outcome.ttl,
                usable_until=now + outcome.ttl + self.max_stale,
            )
            self._failures, self._retry_at, self._last_error = 0, float("-inf"), None
        if changed:
            logger.info(
                "JWKS %s: installed %d key(s) %s, fresh for %.0f s",
                self.url,
                len(outcome.key_set.keys),
                sorted(outcome.key_set.by_kid),
                outcome.ttl,
            )
        else:
            logger.debug("JWKS %s: key set unchanged, fresh for %.0f s", self.url, outcome.ttl)

    # -- drivers: the only code that differs between sync and async ------------------------------------------------------

    def _run(self, flow: Generator[_Need, None, _T]) -> _T:
        try:
            need = next(flow)
            while True:
                self._refresh(need)
                need = flow.send(None)
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    async def _arun(self, flow: Generator[_Need, None, _T]) -> _T:
        try:
            need = next(flow)
            while True:
                await self._arefresh(need)
                need = flow.send(None)
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    def _refresh(self, need: _Need) -> None:
        if not self._fetch_lock.acquire(blocking=False):
            if not need.wait:
                return  # another thread is fetching; the cached set serves meanwhile
            self._fetch_lock.acquire()
        try:
            if self._begin(need):
                self._complete(self._fetch())
        finally:
            self._fetch_lock.release()

    async def _arefresh(self, need: _Need) -> None:
        loop = asyncio.get_running_loop()
        while (flight := self._flights.get(loop)) is not None:
            if not need.wait:
                return
            # asyncio.wait, unlike awaiting the future, does not cancel the shared future if this waiter is cancelled.
            await asyncio.wait((flight,))
            if self._attempts != need.attempts:
                return
            # The fetching task was cancelled before it finished: the next waiter takes over.
        if not self._begin(need):
            return
        flight = self._flights[loop] = loop.create_future()
        try:
            self._complete(await self._afetch())
        finally:
            del self._flights[loop]
            flight.set_result(None)

    def _fetch(self) -> _Fetched | FetchFailed:
        import httpx

        body = ResponseBody(self.max_response_bytes, self.timeout)
        try:
            if self._client.is_closed:
                raise FetchFailed("client_closed", "the HTTP client is closed")
            with self._client.stream(
                "GET", self.url, headers=REQUEST_HEADERS, timeout=self._timeouts, follow_redirects=False
            ) as response:
                body.start(response)
                for chunk in response.iter_raw():
                    body.add(chunk)
            return self._parse(response, body.content())
        except FetchFailed as failure:
            return failure
        except (httpx.HTTPError, httpx.StreamError) as exc:
            return transport_failure(exc)

    async def _afetch(self) -> _Fetched | FetchFailed:
        import httpx

        body = ResponseBody(self.max_response_bytes, self.timeout)
        try:
            if self._async_client.is_closed:
                raise FetchFailed("client_closed", "the HTTP client is closed")
            async with self._async_client.stream(
                "GET", self.url, headers=REQUEST_HEADERS, timeout=self._timeouts, follow_redirects=False
            ) as response:
                body.start(response)
                async for chunk in response.aiter_raw():
                    body.add(chunk)
            return self._parse(response, body.content())
        except FetchFailed as failure:
            return failure
        except (httpx.HTTPError, httpx.StreamError) as exc:
            return transport_failure(exc)

    # -- the response, judged the same way for both (see _jwks_http) ------------------------------------------------------

    def _parse(self, response: httpx.Response, body: bytes) -> _Fetched:
        document, key_set = parse_jwks(body, max_keys=self.max_keys, source=self.url)
        return _Fetched(document, key_set, self._ttl(response.headers.get("cache-control")))

    def _ttl(self, cache_control: str | None) -> float:
        seconds = max_age(cache_control)
        if seconds is None:
            return self.ttl
        return min(max(seconds, self.min_ttl), self.max_ttl)


def _kid_label(kid: str | None) -> str:
    # A kid comes from the token, which is never logged: a fingerprint still tells repeated kids apart.
    return "without kid" if kid is None else f"for kid #{token_fingerprint(kid)}"


def _check_range(
    name: str, value: Any, low: float, high: float, low_name: str = "", high_name: str = "", *, integer: bool = False
) -> None:
    number = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not number or not low <= value <= high:
        bounds = f"{low_name or f'{low:g}'} and {high_name or f'{high:g}'}"
        kind = "an integer" if integer else "a number"
        raise ConfigurationError(f"RemoteJWKS {name} must be {kind} between {bounds} (got {value!r})")
