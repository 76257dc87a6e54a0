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
import functools
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ._algorithms import ASYMMETRIC_ALGORITHMS
from ._errors import BetterAuthJWTError, ConfigurationError, KeysUnavailableError, UnknownKeyError
from ._json import JSONError, loads_strict
from ._jwk import KeyRejected, KeySet, VerificationKey
from ._keys import log_rejected_members, select_keys
from ._logging import logger, token_fingerprint

if TYPE_CHECKING:  # httpx is imported when a RemoteJWKS is built, so `import betterauth_jwt` stays light
    import ssl

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
_REQUEST_HEADERS = {
    "Accept": "application/json, application/jwk-set+json",
    # Compressed bodies would be inflated past the size cap before we could count them.
    "Accept-Encoding": "identity",
}


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


class _FetchFailed(Exception):
    """Why a fetch gave nothing usable, in our words (``code`` for health checks, ``description`` for people)."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


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

        self.url = _checked_url(url, allow_insecure_http)
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
            "verify": _default_ssl_context(),
        }
        self._owns_client, self._owns_async_client = client is None, async_client is None
        self._client = client if client is not None else httpx.Client(**own)
        self._async_client = async_client if async_client is not None else httpx.AsyncClient(**own)

        self._cached: _Cached | None = None
        self._state_lock = threading.Lock()  # held for bookkeeping only, never across I/O
        self._fetch_lock = threading.Lock()  # single flight for threads: held across a sync fetch
        self._flights: dict[asyncio.AbstractEventLoop, asyncio.Future[None]] = {}  # single flight per event loop
        self._attempts = 0  # fetches finished, successful or not
        self._generations = 0
        self._failures = 0  # consecutive failed fetches
        self._retry_at = float("-inf")
        self._last_error: _FetchFailed | None = None
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
                        logger.info("JWKS %s: unknown kids refused without refetching for %.1f s (cooldown)",
                                    self.url, self._kid_refresh_after - now)  # fmt: skip
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

    def _complete(self, outcome: _Fetched | _FetchFailed) -> None:
        now = self._clock()
        with self._state_lock:
            self._attempts += 1
            previous = self._cached
            if isinstance(outcome, _FetchFailed):
                self._failures += 1
                self._retry_at = now + min(self.refresh_cooldown, 2.0 ** (self._failures - 1))
                self._last_error = outcome
                if previous is not None and now < previous.usable_until:
                    logger.warning("JWKS fetch from %s failed (%s); serving the last good key set, fetched %.0f s ago",
                                   self.url, outcome.description, now - previous.fetched_at)  # fmt: skip
                else:
                    logger.warning("JWKS fetch from %s failed (%s); no usable keys", self.url, outcome.description)
                return
            changed = previous is None or previous.document != outcome.document
            if changed:
                self._generations += 1
            generation = self._generations
            self._cached = _Cached(
                key_set=outcome.key_set if changed or previous is None else previous.key_set,
                document=outcome.document,
                generation=generation,
                fetched_at=now,
                fresh_until=now + outcome.ttl,
                usable_until=now + outcome.ttl + self.max_stale,
            )
            self._failures, self._retry_at, self._last_error = 0, float("-inf"), None
        if changed:
            logger.info("JWKS %s: installed %d key(s) %s, fresh for %.0f s", self.url, len(outcome.key_set.keys),
                        sorted(outcome.key_set.by_kid), outcome.ttl)  # fmt: skip
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

    def _fetch(self) -> _Fetched | _FetchFailed:
        import httpx

        body = _Body(self.max_response_bytes, self.timeout)
        try:
            if self._client.is_closed:
                raise _FetchFailed("client_closed", "the HTTP client is closed")
            with self._client.stream("GET", self.url, headers=_REQUEST_HEADERS, timeout=self._timeouts,
                                     follow_redirects=False) as response:  # fmt: skip
                body.start(response)
                for chunk in response.iter_raw():
                    body.add(chunk)
            return self._parse(response, body.content())
        except _FetchFailed as failure:
            return failure
        except (httpx.HTTPError, httpx.StreamError) as exc:
            return _transport_failure(exc)

    async def _afetch(self) -> _Fetched | _FetchFailed:
        import httpx

        body = _Body(self.max_response_bytes, self.timeout)
        try:
            if self._async_client.is_closed:
                raise _FetchFailed("client_closed", "the HTTP client is closed")
            async with self._async_client.stream("GET", self.url, headers=_REQUEST_HEADERS, timeout=self._timeouts,
                                                 follow_redirects=False) as response:  # fmt: skip
                body.start(response)
                async for chunk in response.aiter_raw():
                    body.add(chunk)
            return self._parse(response, body.content())
        except _FetchFailed as failure:
            return failure
        except (httpx.HTTPError, httpx.StreamError) as exc:
            return _transport_failure(exc)

    # -- the response, judged the same way for both -----------------------------------------------------------------------

    def _parse(self, response: httpx.Response, body: bytes) -> _Fetched:
        try:
            document = loads_strict(body)
        except JSONError:
            raise _FetchFailed("not_json", "the JWKS endpoint did not answer with JSON") from None
        if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
            raise _FetchFailed("not_a_jwks", "the JWKS endpoint's JSON is not a key set (an object with a 'keys' list)")
        if len(document["keys"]) > self.max_keys:
            raise _FetchFailed(
                "too_many_keys", f"the JWKS has {len(document['keys'])} keys; more than max_keys={self.max_keys}"
            )
        try:
            key_set = KeySet.from_jwks(document)
        except KeyRejected as exc:  # pragma: no cover - the shape was checked above
            raise _FetchFailed("not_a_jwks", str(exc)) from None
        log_rejected_members(key_set, self.url)
        if not key_set.keys:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in key_set.rejected) or "it is empty"
            raise _FetchFailed("no_usable_keys", f"the JWKS has no usable key ({reasons})")
        return _Fetched(document, key_set, self._ttl(response.headers.get("cache-control")))

    def _ttl(self, cache_control: str | None) -> float:
        max_age = _max_age(cache_control)
        if max_age is None:
            return self.ttl
        return min(max(max_age, self.min_ttl), self.max_ttl)


class _Body:
    """Collects a response body under a size cap and a deadline, for the sync and the async fetch alike."""

    def __init__(self, limit: int, timeout: float) -> None:
        self._limit = limit
        # Read timeouts bound each wait; this bounds the total, against a server that drips one byte at a time.
        self._deadline = time.monotonic() + 2 * timeout
        self._parts: list[bytes] = []
        self._size = 0

    def start(self, response: httpx.Response) -> None:
        status = response.status_code
        if 300 <= status < 400:
            raise _FetchFailed("redirect", f"the JWKS endpoint answered a redirect (HTTP {status}); redirects are "
                               "not followed, configure the final URL")  # fmt: skip
        if status != 200:
            raise _FetchFailed("http_status", f"the JWKS endpoint answered HTTP {status}")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise _FetchFailed("compressed", "the JWKS endpoint sent a compressed body although none was accepted")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self._limit:
            raise self._too_large()

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            raise self._too_large()
        if time.monotonic() > self._deadline:
            raise _FetchFailed("timeout", "the JWKS endpoint is too slow to send its body")
        self._parts.append(chunk)

    def content(self) -> bytes:
        return b"".join(self._parts)

    def _too_large(self) -> _FetchFailed:
        return _FetchFailed("too_large", f"the JWKS response is larger than max_response_bytes={self._limit}")


def _transport_failure(exc: Exception) -> _FetchFailed:
    import httpx

    # Our own words only: httpx's messages may carry addresses, OS errors or response text.
    if isinstance(exc, httpx.TimeoutException):
        return _FetchFailed("timeout", "the JWKS endpoint did not answer in time")
    if isinstance(exc, httpx.ConnectError):
        return _FetchFailed("connect_error", "could not connect to the JWKS endpoint")
    return _FetchFailed("transport_error", f"the JWKS request failed ({type(exc).__name__})")


def _max_age(cache_control: str | None) -> float | None:
    """``max-age`` from a Cache-Control header (RFC 9111 5.2.2.1); ``no-cache``/``no-store`` count as 0."""
    if not cache_control:
        return None
    max_age: float | None = None
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return 0.0
        value = value.strip().strip('"')
        if name == "max-age" and value.isdigit() and value.isascii():
            max_age = float(value)
    return max_age


def _kid_label(kid: str | None) -> str:
    # A kid comes from the token, which is never logged: a fingerprint still tells repeated kids apart.
    return "without kid" if kid is None else f"for kid #{token_fingerprint(kid)}"


def _checked_url(url: object, allow_insecure_http: bool) -> str:
    import httpx

    if not isinstance(url, str):
        raise ConfigurationError("RemoteJWKS url must be a string such as https://app.example.com/api/auth/jwks")
    try:
        if any(char.isspace() or not char.isprintable() for char in url):
            raise ValueError("blank or control character")
        parsed = httpx.URL(url)
        if parsed.port is not None and not 0 < parsed.port < 65536:
            raise ValueError("port out of range")
    except (httpx.InvalidURL, ValueError):
        raise ConfigurationError("RemoteJWKS url is not a valid URL") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ConfigurationError("RemoteJWKS url must be an https URL such as https://app.example.com/api/auth/jwks")
    if parsed.userinfo:
        raise ConfigurationError("RemoteJWKS url must not contain credentials; pass a configured httpx client instead")
    if parsed.scheme == "http" and not allow_insecure_http and not _is_loopback(parsed.host):
        raise ConfigurationError(
            "RemoteJWKS url must use https: over plain http anyone on the path can swap the keys. http is accepted for "
            "loopback hosts (localhost, 127.0.0.1, ::1); pass allow_insecure_http=True only in development"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_range(
    name: str, value: Any, low: float, high: float, low_name: str = "", high_name: str = "", *, integer: bool = False
) -> None:
    number = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not number or not low <= value <= high:
        bounds = f"{low_name or f'{low:g}'} and {high_name or f'{high:g}'}"
        kind = "an integer" if integer else "a number"
        raise ConfigurationError(f"RemoteJWKS {name} must be {kind} between {bounds} (got {value!r})")


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    import httpx

    # Built once per process and shared: loading the CA bundle takes milliseconds of file I/O.
    return httpx.create_ssl_context()
