"""The key lookup of ``RemoteJWKS``, written once and free of I/O: when to fetch, and who in a crowd of callers does.

``lookup`` and ``usable`` are generators that yield a :class:`Need` when they want a fetch; ``RemoteJWKS`` drives them
with a sync or an async HTTP client (the way httpx drives its auth flows), and ``should_fetch`` is the bookkeeping the
caller that owns the flight consults before fetching. How a lookup goes:

1. A fresh key set is cached: answer from it. No lock, no I/O; almost every request takes this path.
2. Nothing is cached, or the set is older than its TTL: fetch (one fetch in flight, however many callers wait for it).
   When the fetch fails, the last good set is served for up to ``max_stale`` seconds past its TTL; with nothing usable,
   :class:`KeysUnavailableError` (503). Failed fetches are retried with a backoff (1, 2, 4 ... ``refresh_cooldown`` s).
3. The token's ``kid`` is not in a fresh set: Better Auth has probably rotated its key, so refetch once, unless an
   unknown-kid refetch already happened within ``refresh_cooldown`` seconds. A flood of random kids therefore costs one
   fetch per window (other libraries fetch once per kid, which turns them into an amplifier). Kids still unknown after a
   refetch are remembered for the window and refused at once.

An unknown kid is a bad token (401) while the endpoint answers; while it is failing, an unknown kid may be a new key we
cannot fetch, so it is an outage (503) rather than a rejection that would log users out.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

from .._errors import BetterAuthJWTError, UnknownKeyError
from .._jose.jwk import VerificationKey
from .._logging import logger, token_fingerprint
from .fixed import select_keys
from .key_state import Cached, KeyState


@dataclass(frozen=True, slots=True)
class Need:
    """What ``lookup`` asks its driver for: a fetch, unless one finished since ``attempts`` (then it looks again).

    ``wait`` is false when a usable set is cached: such a caller answers from it rather than queue behind a fetch
    another caller has in flight.
    """

    reason: str  # "cold", "expired", "unknown kid", "warm"
    attempts: int
    wait: bool
    kid: str | None = None


def lookup(state: KeyState, kid: str | None, alg: str) -> Generator[Need, None, Sequence[VerificationKey]]:
    """The keys for a token's ``kid`` and ``alg``, asking for at most one fetch for the set and one for the kid."""
    attempts = state.attempts
    cached = yield from usable(state)
    try:
        return select_keys(cached.key_set, kid, alg)
    except UnknownKeyError as miss:
        if kid is None or state.attempts != attempts or state.recently_unknown(kid):
            # No kid (a refetch cannot make it unambiguous), a fetch since this lookup began, or already refetched
            # for this kid within the window: nothing new to learn.
            raise _unknown(state, kid, miss) from None
    yield Need("unknown kid", state.attempts, wait=True, kid=kid)
    try:
        return select_keys((state.cached or cached).key_set, kid, alg)
    except UnknownKeyError as miss:
        raise _unknown(state, kid, miss) from None


def usable(state: KeyState, *, warming: bool = False) -> Generator[Need, None, Cached]:
    """The cached set, after a fetch if it is missing or expired; :class:`KeysUnavailableError` if none is usable."""
    cached = state.cached
    if cached is not None and state.clock() < cached.fresh_until:
        return cached
    has_usable = cached is not None and state.clock() < cached.usable_until
    reason = "warm" if warming else "expired" if cached is not None else "cold"
    yield Need(reason, state.attempts, wait=warming or not has_usable)
    cached, now = state.cached, state.clock()
    if cached is None or now >= cached.usable_until:
        raise state.unavailable(now)
    if now >= cached.fresh_until:
        state.stale_served += 1
        logger.debug("JWKS %s: serving keys %.0f s past their TTL", state.url, now - cached.fresh_until)
    return cached


def _unknown(state: KeyState, kid: str | None, miss: UnknownKeyError) -> BetterAuthJWTError:
    if state.last_error is not None:
        # The endpoint is failing: this kid may be a key published since, which we cannot fetch.
        return state.unavailable(state.clock())
    logger.debug("JWKS %s: no key %s", state.url, _kid_label(kid))
    if kid is not None:
        state.remember_unknown(kid)
    return miss


def should_fetch(state: KeyState, need: Need) -> bool:
    """Whether the caller that now owns the flight should fetch. Reserves the unknown-kid window when it says yes."""
    now = state.clock()
    with state.lock:
        if state.closed or state.attempts != need.attempts:
            return False  # closed, or someone fetched while this caller waited: look at their result first
        if now < state.retry_at and need.reason != "warm":
            logger.debug("JWKS %s: not retrying for another %.1f s after a failure", state.url, state.retry_at - now)
            return False
        if need.reason == "unknown kid":
            state.forget_unknown_kids(now)
            if now < state.kid_refresh_after:
                if now >= state.cooldown_logged_until:  # once per window: a flood must not flood the logs
                    state.cooldown_logged_until = state.kid_refresh_after
                    logger.info(
                        "JWKS %s: unknown kids refused without refetching for %.1f s (cooldown)",
                        state.url,
                        state.kid_refresh_after - now,
                    )
                else:
                    logger.debug("JWKS %s: no refetch %s (cooldown)", state.url, _kid_label(need.kid))
                return False
            state.kid_refresh_after = now + state.refresh_cooldown
            logger.info("JWKS %s has no key %s: refetching (key rotation?)", state.url, _kid_label(need.kid))
        else:
            logger.debug("JWKS %s: fetching (%s)", state.url, need.reason)
        return True


def _kid_label(kid: str | None) -> str:
    # A kid comes from the token, which is never logged: a fingerprint still tells repeated kids apart.
    return "without kid" if kid is None else f"for kid #{token_fingerprint(kid)}"
