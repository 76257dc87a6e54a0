"""What ``RemoteJWKS`` remembers between lookups: the installed key set and its timetable (TTL, stale-if-error), the
record of past fetches (backoff, last error, counters) and the memory of unknown kids with its cooldown window.

Pure state: nothing here does I/O or decides when to fetch (that is ``refresh``); ``KeyState.complete`` records what a
fetch brought back. The lock guards bookkeeping only and is never held across I/O.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._errors import KeysUnavailableError
from .._jose.jwk import KeySet, VerificationKey
from .._logging import logger
from .fetch import FetchFailed
from .fixed import select_keys

_REMEMBERED_UNKNOWN_KIDS = 1024


@dataclass(frozen=True, slots=True)
class Cached:
    """One installed key set and its timetable (clock seconds). Replaced whole, so readers need no lock."""

    key_set: KeySet
    document: object
    generation: int
    fetched_at: float
    fresh_until: float
    usable_until: float


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a successful fetch brought back; ``max_age`` is the response's Cache-Control ``max-age``, if any."""

    document: object
    key_set: KeySet
    max_age: float | None


class KeyState:
    """The cached key set and the fetch record of one ``RemoteJWKS``, shared by its sync and async callers."""

    def __init__(
        self,
        url: str,
        *,
        ttl: float,
        min_ttl: float,
        max_ttl: float,
        max_stale: float,
        refresh_cooldown: float,
        clock: Callable[[], float],
    ) -> None:
        self.url = url  # for log lines only
        self.ttl, self.min_ttl, self.max_ttl = ttl, min_ttl, max_ttl
        self.max_stale = max_stale
        self.refresh_cooldown = refresh_cooldown
        self.clock = clock
        self.cached: Cached | None = None
        self.lock = threading.Lock()  # held for bookkeeping only, never across I/O
        self.attempts = 0  # fetches finished, successful or not
        self.failed_fetches = 0  # failed fetches since start (stats)
        self.stale_served = 0  # lookups answered with a set past its TTL (stats)
        self.generations = 0
        self.failures = 0  # consecutive failed fetches
        self.retry_at = float("-inf")
        self.last_error: FetchFailed | None = None
        self.kid_refresh_after = float("-inf")
        self.cooldown_logged_until = float("-inf")
        self.unknown_kids: OrderedDict[str, float] = OrderedDict()
        self.closed = False

    # -- reading -------------------------------------------------------------------------------------------------------

    def fresh_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        """The hot path: a fresh set holding this kid answers with no lock, no generator, no I/O. ``()`` otherwise."""
        cached = self.cached
        if cached is None or kid not in cached.key_set.by_kid or self.clock() >= cached.fresh_until:
            return ()
        return select_keys(cached.key_set, kid, alg)

    @property
    def generation(self) -> int:
        cached = self.cached
        return cached.generation if cached is not None else 0

    @property
    def ready(self) -> bool:
        cached = self.cached
        return cached is not None and self.clock() < cached.usable_until

    def health(self) -> dict[str, object]:
        now, cached, error = self.clock(), self.cached, self.last_error
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
        return {"fetches": self.attempts, "fetch_failures": self.failed_fetches, "stale_served": self.stale_served}

    def unavailable(self, now: float) -> KeysUnavailableError:
        error = self.last_error
        if self.closed:
            reason = "RemoteJWKS is closed"
        elif error is not None:
            reason = error.description
        else:
            reason = "no key set has been fetched yet"
        return KeysUnavailableError(
            f"the signing keys are unavailable: {reason}", retry_after=max(1.0, self.retry_at - now)
        )

    # -- unknown kids --------------------------------------------------------------------------------------------------

    def recently_unknown(self, kid: str) -> bool:
        return self.unknown_kids.get(kid, float("-inf")) > self.clock()

    def remember_unknown(self, kid: str) -> None:
        now = self.clock()
        with self.lock:
            remembered = self.unknown_kids
            if remembered.get(kid, float("-inf")) > now:
                return  # the window runs from the first miss; repeating the kid does not extend it
            remembered[kid] = now + self.refresh_cooldown
            remembered.move_to_end(kid)
            while len(remembered) > _REMEMBERED_UNKNOWN_KIDS:
                remembered.popitem(last=False)

    def forget_unknown_kids(self, now: float) -> None:
        remembered = self.unknown_kids
        while remembered and next(iter(remembered.values())) <= now:
            remembered.popitem(last=False)

    # -- a finished fetch ----------------------------------------------------------------------------------------------

    def complete(self, outcome: Fetched | FetchFailed) -> None:
        """Record a finished fetch. Only a success replaces the cached set, so an outage never wipes it."""
        now = self.clock()
        with self.lock:
            self.attempts += 1
            previous = self.cached
            if isinstance(outcome, FetchFailed):
                self.failures += 1
                self.failed_fetches += 1
                self.retry_at = now + min(self.refresh_cooldown, 2.0 ** (self.failures - 1))
                self.last_error = outcome
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
            ttl = self.ttl_for(outcome.max_age)
            changed = previous is None or previous.document != outcome.document
            if changed:
                self.generations += 1
            generation = self.generations
            self.cached = Cached(
                key_set=outcome.key_set,
                document=outcome.document,
                generation=generation,
                fetched_at=now,
                fresh_until=now + ttl,
                usable_until=now + ttl + self.max_stale,
            )
            self.failures, self.retry_at, self.last_error = 0, float("-inf"), None
        if changed:
            logger.info(
                "JWKS %s: installed %d key(s) %s, fresh for %.0f s",
                self.url,
                len(outcome.key_set.keys),
                sorted(outcome.key_set.by_kid),
                ttl,
            )
        else:
            logger.debug("JWKS %s: key set unchanged, fresh for %.0f s", self.url, ttl)

    def ttl_for(self, max_age: float | None) -> float:
        """How long a fetched set stays fresh: the server's ``max-age`` clamped to our bounds, else our ``ttl``."""
        if max_age is None:
            return self.ttl
        return min(max(max_age, self.min_ttl), self.max_ttl)
