"""RemoteJWKS against a real HTTP server on 127.0.0.1 (testing.JWKSServer): caching, single flight, rotation, outages,
hostile responses. Cache time runs on an injected clock; the async tests run under blockbuster, so any blocking call made
from the package inside the event loop fails them."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from blockbuster import BlockingError, blockbuster_ctx

from betterauth_jwt import (
    BetterAuthJWTError,
    ConfigurationError,
    InvalidTokenError,
    KeyProvider,
    KeysUnavailableError,
    RemoteJWKS,
    UnknownKeyError,
    Verifier,
)
from betterauth_jwt._jose.algorithms import ASYMMETRIC_ALGORITHMS
from betterauth_jwt.testing import JWKSServer, TokenFactory, b64url

TTL = 300.0
COOLDOWN = 30.0


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def factory() -> TokenFactory:
    return TokenFactory("EdDSA")


@pytest.fixture
def server(factory: TokenFactory) -> Iterator[JWKSServer]:
    with JWKSServer(factory) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def jwks(server: JWKSServer, clock: FakeClock) -> Iterator[RemoteJWKS]:
    # A generous timeout: tests that hold a fetch release it explicitly, and a loaded machine must not time it out.
    with RemoteJWKS(server.url, clock=clock, timeout=20.0) as jwks:
        yield jwks


@pytest.fixture
def no_blocking() -> Iterator[None]:
    """Fail the test if code of this package makes a blocking call inside the running event loop."""
    with blockbuster_ctx("betterauth_jwt"):
        yield


def verifier_for(jwks: RemoteJWKS, factory: TokenFactory) -> Verifier:
    return Verifier(jwks, issuer=factory.issuer, audience=factory.issuer)


def random_kid() -> str:
    return secrets.token_urlsafe(24)


async def until(condition: Callable[[], bool]) -> None:
    # Polls on purpose: the condition is a counter the server's threads update, with no event to await.
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110
            await anyio.sleep(0.005)


def run_in_threads(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``count`` threads released together; return each result or exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def target(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work()
        except BetterAuthJWTError as exc:
            results[index] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


# -- configuration -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:3000/api/auth/jwks",
        "http://127.0.0.1:3000/api/auth/jwks",
        "http://127.8.9.10/jwks",
        "http://[::1]:3000/api/auth/jwks",
        "https://auth.example.com/api/auth/jwks",
    ],
)
def test_https_or_loopback_urls_are_accepted(url: str) -> None:
    with RemoteJWKS(url) as jwks:
        assert jwks.url == url
        assert isinstance(jwks, KeyProvider)
        assert jwks.algorithms == ASYMMETRIC_ALGORITHMS
        assert jwks.generation == 0
        assert repr(jwks) == f"RemoteJWKS({url!r})"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://auth.example.com/api/auth/jwks", "allow_insecure_http"),
        ("http://auth:3000/api/auth/jwks", "must use https"),
        ("http://localhost.evil.example/jwks", "must use https"),
        ("ftp://auth.example.com/jwks", "https URL"),
        ("/api/auth/jwks", "https URL"),
        ("https://user:password@auth.example.com/jwks", "credentials"),
        ("https://exa mple.com/jwks", "not a valid URL"),
        ("https://example.com:99999/jwks", "not a valid URL"),
        ("https://[::1/jwks", "not a valid URL"),
    ],
)
def test_other_urls_are_configuration_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RemoteJWKS(url)


def test_plain_http_to_another_host_needs_an_explicit_opt_out() -> None:
    with RemoteJWKS("http://auth:3000/api/auth/jwks", allow_insecure_http=True) as jwks:
        assert jwks.url == "http://auth:3000/api/auth/jwks"


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"ttl": 0}, "ttl"),
        ({"ttl": 10}, "ttl"),  # below the default min_ttl of 60
        ({"ttl": True}, "ttl"),
        ({"ttl": "300"}, "ttl"),
        ({"min_ttl": 600, "max_ttl": 300}, "max_ttl"),
        ({"max_stale": -1}, "max_stale"),
        ({"refresh_cooldown": 0}, "refresh_cooldown"),
        ({"timeout": 0}, "timeout"),
        ({"max_response_bytes": 10}, "max_response_bytes"),
        ({"max_response_bytes": 1024.5}, "max_response_bytes"),
        ({"max_keys": 0}, "max_keys"),
        ({"client": "not a client"}, "client"),
        ({"async_client": httpx.Client()}, "async_client"),
        ({"clock": 1.0}, "clock"),
    ],
)
def test_options_are_validated_at_construction(options: dict[str, Any], name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        RemoteJWKS("https://auth.example.com/api/auth/jwks", **options)
    for value in options.values():
        if isinstance(value, httpx.Client):
            value.close()


def test_for_better_auth_fetches_from_the_jwks_path(factory: TokenFactory, server: JWKSServer) -> None:
    factory.issuer = factory.audience = server.base_url  # Better Auth: iss = aud = origin of baseURL
    verifier = Verifier.for_better_auth(server.base_url)
    assert isinstance(verifier.keys, RemoteJWKS)
    try:
        assert verifier.keys.url == server.url
        assert verifier.verify(factory.access_token("user_7")).user_id == "user_7"
        assert server.hits == 1
    finally:
        verifier.keys.close()


# -- fetching and caching ------------------------------------------------------------------------------------------------


def test_verifies_and_caches(jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock) -> None:
    verifier = verifier_for(jwks, factory)
    assert verifier.verify(factory.access_token("user_1")).user_id == "user_1"
    assert verifier.verify(factory.access_token("user_2")).user_id == "user_2"
    assert server.hits == 1
    assert jwks.generation == 1
    clock.advance(TTL - 1)
    jwks.get_keys(factory.kid, "EdDSA")
    assert server.hits == 1
    clock.advance(1)
    jwks.get_keys(factory.kid, "EdDSA")
    assert server.hits == 2
    assert jwks.generation == 1  # the same key set again: cached verifications stay valid


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_async_verification_fetches_without_blocking(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer
) -> None:
    verifier = verifier_for(jwks, factory)
    assert (await verifier.averify(factory.access_token("user_3"))).user_id == "user_3"
    assert (await verifier.averify(factory.access_token("user_4"))).user_id == "user_4"
    assert server.hits == 1


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
# blockbuster interrupts socket.connect, so the socket httpx was opening is only closed by the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
async def test_blockbuster_catches_a_blocking_fetch_in_async_code(jwks: RemoteJWKS, factory: TokenFactory) -> None:
    # The guard the async tests rely on works: the sync path, called inside the loop, is reported.
    with pytest.raises(BlockingError):
        jwks.get_keys(factory.kid, "EdDSA")
    gc.collect()


@pytest.mark.parametrize(
    ("cache_control", "fresh_for"),
    [
        (None, TTL),
        ("max-age=3600", 3600),
        ("public, max-age=600, must-revalidate", 600),
        ("max-age=5", 60),  # raised to min_ttl
        ("max-age=999999999", 86_400),  # lowered to max_ttl
        ("no-store", 60),
        ("no-cache", 60),
        ("max-age=soon", TTL),  # not a number: ignored
    ],
)
def test_cache_control_max_age_is_honoured_within_bounds(
    jwks: RemoteJWKS,
    factory: TokenFactory,
    server: JWKSServer,
    clock: FakeClock,
    cache_control: str | None,
    fresh_for: float,
) -> None:
    server.cache_control = cache_control
    jwks.warm()
    clock.advance(fresh_for - 0.5)
    jwks.get_keys(factory.kid, "EdDSA")
    assert server.hits == 1
    clock.advance(0.5)
    jwks.get_keys(factory.kid, "EdDSA")
    assert server.hits == 2


def test_warm_fetches_once_and_reports_readiness(jwks: RemoteJWKS, server: JWKSServer, factory: TokenFactory) -> None:
    assert not jwks.ready
    health = jwks.health()
    assert health["ready"] is False
    assert health["key_count"] == 0
    assert health["age_seconds"] is None
    jwks.warm()
    jwks.warm()
    assert server.hits == 1
    assert jwks.ready
    assert jwks.health() == {
        "url": server.url,
        "ready": True,
        "stale": False,
        "key_count": 1,
        "kids": [factory.kid],
        "age_seconds": 0.0,
        "generation": 1,
        "last_error_code": None,
        "last_error": None,
    }


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_awarm_in_a_lifespan_style_block(server: JWKSServer, factory: TokenFactory) -> None:
    async with RemoteJWKS(server.url) as jwks:
        await jwks.awarm()
        assert jwks.ready
        assert server.hits == 1
        await jwks.aget_keys(factory.kid, "EdDSA")
        assert server.hits == 1


def test_one_instance_serves_several_event_loops_and_threads(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock
) -> None:
    for _ in range(2):  # e.g. a test suite that runs every test in its own loop
        keys = asyncio.run(jwks.aget_keys(factory.kid, "EdDSA"))
        assert keys[0].kid == factory.kid
        clock.advance(TTL)
    assert server.hits == 2
    assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid
    assert server.hits == 3


# -- single flight -------------------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_hundred_tasks_on_a_cold_cache_make_one_fetch(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer
) -> None:
    server.hang()  # hold the first fetch until every task is waiting for keys
    tasks = [asyncio.create_task(jwks.aget_keys(factory.kid, "EdDSA")) for _ in range(100)]
    await until(lambda: server.hits >= 1)
    for _ in range(5):
        await asyncio.sleep(0)
    assert not any(task.done() for task in tasks)
    await anyio.to_thread.run_sync(server.release)
    results = await asyncio.gather(*tasks)
    assert all(keys[0].kid == factory.kid for keys in results)
    assert server.hits == 1


def test_twenty_threads_on_a_cold_cache_make_one_fetch(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer
) -> None:
    server.hang()
    releaser = threading.Thread(target=lambda: server.wait_for_hits(1) and server.release())
    releaser.start()
    results = run_in_threads(20, lambda: jwks.get_keys(factory.kid, "EdDSA"))
    releaser.join()
    assert all(not isinstance(result, Exception) and result[0].kid == factory.kid for result in results)
    assert server.hits == 1


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_a_cancelled_fetch_does_not_strand_its_waiters(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer
) -> None:
    server.hang()
    first = asyncio.create_task(jwks.aget_keys(factory.kid, "EdDSA"))
    await until(lambda: server.hits == 1)
    second = asyncio.create_task(jwks.aget_keys(factory.kid, "EdDSA"))
    for _ in range(5):
        await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await until(lambda: server.hits == 2)  # the waiter took over the fetch
    await anyio.to_thread.run_sync(server.release)
    assert (await second)[0].kid == factory.kid


# -- unknown kids --------------------------------------------------------------------------------------------------------


def test_a_flood_of_random_kids_costs_one_fetch_per_cooldown_window(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="betterauth_jwt")
    jwks.warm()
    for _ in range(10_000):
        with pytest.raises(UnknownKeyError) as caught:
            jwks.get_keys(random_kid(), "EdDSA")
        assert caught.value.code == "unknown_key"
    assert server.hits == 2  # warm-up + one refetch
    cooldown_lines = [r for r in caplog.records if "cooldown" in r.getMessage()]
    assert len(cooldown_lines) == 1  # the flood is logged once per window, not once per token
    clock.advance(COOLDOWN - 1)
    with pytest.raises(UnknownKeyError):
        jwks.get_keys(random_kid(), "EdDSA")
    assert server.hits == 2
    clock.advance(1)
    with pytest.raises(UnknownKeyError):
        jwks.get_keys(random_kid(), "EdDSA")
    assert server.hits == 3
    assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid  # real tokens were never affected
    assert len(jwks._state.unknown_kids) <= 1024  # the memory of unknown kids is bounded


def test_random_kids_from_threads_cost_one_fetch(jwks: RemoteJWKS, server: JWKSServer) -> None:
    jwks.warm()

    def flood() -> int:
        refused = 0
        for _ in range(300):
            try:
                jwks.get_keys(random_kid(), "EdDSA")
            except UnknownKeyError:
                refused += 1
        return refused

    assert run_in_threads(8, flood) == [300] * 8
    assert server.hits == 2


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_random_kids_from_concurrent_tasks_cost_one_fetch(jwks: RemoteJWKS, server: JWKSServer) -> None:
    await jwks.awarm()
    results = await asyncio.gather(
        *(jwks.aget_keys(random_kid(), "EdDSA") for _ in range(2_000)), return_exceptions=True
    )
    assert all(isinstance(result, UnknownKeyError) for result in results)
    assert server.hits == 2


def test_a_kid_still_unknown_after_a_refetch_is_remembered_for_the_window(
    jwks: RemoteJWKS, server: JWKSServer, clock: FakeClock
) -> None:
    jwks.warm()
    kid = random_kid()
    with pytest.raises(UnknownKeyError):
        jwks.get_keys(kid, "EdDSA")
    assert server.hits == 2
    clock.advance(COOLDOWN - 1)
    with pytest.raises(UnknownKeyError):
        jwks.get_keys(kid, "EdDSA")
    assert server.hits == 2
    clock.advance(1)  # the window is over: the same kid may trigger one refetch again
    with pytest.raises(UnknownKeyError):
        jwks.get_keys(kid, "EdDSA")
    assert server.hits == 3


def test_a_token_without_kid_is_not_a_reason_to_refetch(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer
) -> None:
    jwks.warm()
    assert jwks.get_keys(None, "EdDSA")[0].kid == factory.kid  # one key for the alg: unambiguous
    with pytest.raises(UnknownKeyError):
        jwks.get_keys(None, "ES256")
    assert server.hits == 1


# -- rotation ------------------------------------------------------------------------------------------------------------


def test_rotation_needs_one_refetch_and_both_keys_verify(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock
) -> None:
    verifier = verifier_for(jwks, factory)
    old_token = factory.access_token("old")
    assert verifier.verify(old_token).user_id == "old"
    generation = jwks.generation
    factory.rotate()  # Better Auth publishes a new key and signs with it; the old one stays published
    new_token = factory.access_token("new")
    assert verifier.verify(new_token).user_id == "new"
    assert server.hits == 2
    assert jwks.generation == generation + 1
    assert verifier.verify(old_token).user_id == "old"
    assert verifier.verify(new_token).user_id == "new"
    assert server.hits == 2
    factory.retire_oldest()  # the grace period ends
    clock.advance(TTL)
    assert verifier.verify(factory.access_token("newer")).user_id == "newer"  # a lookup after the TTL refetches
    assert server.hits == 3
    with pytest.raises(InvalidTokenError) as caught:
        verifier.verify(old_token)  # was cached by the verifier; the key set changed, so it is checked again
    assert caught.value.code == "unknown_key"
    assert verifier.verify(new_token).user_id == "new"


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_rotation_async(jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer) -> None:
    verifier = verifier_for(jwks, factory)
    old_token = factory.access_token("old")
    assert (await verifier.averify(old_token)).user_id == "old"
    factory.rotate()
    new_tokens = [factory.access_token(f"user_{i}") for i in range(50)]
    identities = await asyncio.gather(*(verifier.averify(token) for token in new_tokens))
    assert [identity.user_id for identity in identities] == [f"user_{i}" for i in range(50)]
    assert (await verifier.averify(old_token)).user_id == "old"
    assert server.hits == 2


# -- outages -------------------------------------------------------------------------------------------------------------


def test_outage_with_a_warm_cache_serves_stale_keys(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = verifier_for(jwks, factory)
    jwks.warm()
    server.fail(500)
    clock.advance(TTL)
    with caplog.at_level(logging.WARNING, logger="betterauth_jwt"):
        assert verifier.verify(factory.access_token("user_1")).user_id == "user_1"
    assert "serving the last good key set" in caplog.text
    assert server.hits == 2
    health = jwks.health()
    assert (health["ready"], health["stale"], health["last_error_code"]) == (True, True, "http_status")
    assert health["last_error"] == "the JWKS endpoint answered HTTP 500"
    # Failed fetches are retried with a backoff, not on every request.
    assert verifier.verify(factory.access_token("user_2")).user_id == "user_2"
    assert server.hits == 2
    clock.advance(1)
    assert verifier.verify(factory.access_token("user_3")).user_id == "user_3"
    assert server.hits == 3
    # The endpoint comes back: the next retry refreshes and clears the error.
    server.serve()
    clock.advance(2)
    jwks.get_keys(factory.kid, "EdDSA")
    assert server.hits == 4
    health = jwks.health()
    assert (health["stale"], health["last_error_code"]) == (False, None)


def test_stale_keys_are_served_for_max_stale_only(server: JWKSServer, factory: TokenFactory, clock: FakeClock) -> None:
    with RemoteJWKS(server.url, clock=clock, max_stale=600) as jwks:
        jwks.warm()
        server.fail(503)
        clock.advance(TTL + 599)
        assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid
        clock.advance(1)
        with pytest.raises(KeysUnavailableError, match="HTTP 503"):
            jwks.get_keys(factory.kid, "EdDSA")
        assert not jwks.ready


def test_outage_with_a_cold_cache_is_keys_unavailable(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock
) -> None:
    server.fail(502)
    verifier = verifier_for(jwks, factory)
    with pytest.raises(KeysUnavailableError) as caught:
        verifier.verify(factory.access_token())
    assert not isinstance(caught.value, InvalidTokenError)
    assert caught.value.code == "keys_unavailable"
    assert caught.value.retry_after >= 1
    assert server.hits == 1
    with pytest.raises(KeysUnavailableError):  # within the retry backoff: answered at once, no new fetch
        verifier.verify(factory.access_token())
    assert server.hits == 1
    server.serve()
    clock.advance(1)
    assert verifier.verify(factory.access_token("back")).user_id == "back"


def test_unreachable_endpoint_is_keys_unavailable(factory: TokenFactory) -> None:
    with JWKSServer(factory) as server:
        url = server.url
    with RemoteJWKS(url) as jwks:  # nothing listens there any more
        with pytest.raises(KeysUnavailableError):
            jwks.get_keys(factory.kid, "EdDSA")
        assert jwks.health()["last_error_code"] == "connect_error"


def test_unknown_kid_during_an_outage_is_an_outage_not_a_bad_token(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock
) -> None:
    jwks.warm()
    server.fail(500)
    with pytest.raises(KeysUnavailableError):  # may be a key published since, that we cannot fetch
        jwks.get_keys(random_kid(), "EdDSA")
    assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid
    server.serve()
    clock.advance(COOLDOWN)
    with pytest.raises(UnknownKeyError):  # the endpoint answers again: an unknown kid is a bad token
        jwks.get_keys(random_kid(), "EdDSA")


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_async_outage(server: JWKSServer, factory: TokenFactory, clock: FakeClock) -> None:
    async with RemoteJWKS(server.url, clock=clock) as jwks:
        server.fail(500)
        with pytest.raises(KeysUnavailableError):
            await jwks.aget_keys(factory.kid, "EdDSA")
        server.serve()
        clock.advance(1)
        await jwks.awarm()
        server.fail(500)
        clock.advance(TTL)
        assert (await jwks.aget_keys(factory.kid, "EdDSA"))[0].kid == factory.kid
        assert jwks.health()["stale"] is True


# -- a hanging endpoint --------------------------------------------------------------------------------------------------


def test_a_hanging_endpoint_times_out(server: JWKSServer, factory: TokenFactory) -> None:
    server.hang()
    with RemoteJWKS(server.url, timeout=0.2) as jwks:
        with pytest.raises(KeysUnavailableError, match="did not answer in time"):
            jwks.get_keys(factory.kid, "EdDSA")
        assert jwks.health()["last_error_code"] == "timeout"


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_a_hanging_endpoint_times_out_async(server: JWKSServer, factory: TokenFactory) -> None:
    server.hang()
    async with RemoteJWKS(server.url, timeout=0.2) as jwks:
        with pytest.raises(KeysUnavailableError, match="did not answer in time"):
            await jwks.aget_keys(factory.kid, "EdDSA")


def test_a_hanging_refetch_does_not_stall_lookups_of_cached_keys(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer
) -> None:
    jwks.warm()
    server.hang()
    outcome: list[BetterAuthJWTError] = []
    stuck = threading.Thread(target=lambda: outcome.extend(_raised(jwks.get_keys, random_kid(), "EdDSA")))
    stuck.start()
    assert server.wait_for_hits(2)
    for _ in range(100):
        assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid
    assert stuck.is_alive()  # the refetch is still hanging, and nobody waited for it
    server.release()
    stuck.join()
    assert len(outcome) == 1
    assert isinstance(outcome[0], UnknownKeyError)


def test_an_expired_set_is_served_while_another_thread_refetches(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock
) -> None:
    jwks.warm()
    clock.advance(TTL)
    server.hang()
    fetching = threading.Thread(target=jwks.get_keys, args=(factory.kid, "EdDSA"))
    fetching.start()
    assert server.wait_for_hits(2)
    assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid
    assert fetching.is_alive()
    server.release()
    fetching.join()
    assert server.hits == 2


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_a_hanging_refetch_does_not_stall_cached_lookups_async(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock
) -> None:
    await jwks.awarm()
    server.hang()
    refetch = asyncio.create_task(jwks.aget_keys(random_kid(), "EdDSA"))
    await until(lambda: server.hits == 2)
    for _ in range(100):
        assert (await jwks.aget_keys(factory.kid, "EdDSA"))[0].kid == factory.kid
    clock.advance(TTL)  # expired now, and a fetch is in flight: the expired set serves instead of waiting
    assert (await jwks.aget_keys(factory.kid, "EdDSA"))[0].kid == factory.kid
    assert not refetch.done()
    await anyio.to_thread.run_sync(server.release)
    with pytest.raises(UnknownKeyError):
        await refetch


def _raised(function: Callable[..., Any], *args: Any) -> list[BetterAuthJWTError]:
    try:
        function(*args)
    except BetterAuthJWTError as exc:
        return [exc]
    return []


# -- hostile or broken responses -----------------------------------------------------------------------------------------


def _invalid_members_only() -> bytes:
    small_order = b64url(bytes(32))  # the Ed25519 identity point
    return json.dumps(
        {
            "keys": [
                {"kty": "oct", "k": b64url(b"0" * 32), "kid": "symmetric"},
                {"kty": "OKP", "crv": "Ed25519", "x": small_order, "kid": "small-order"},
                {"kty": "RSA", "n": b64url((2**512 + 1).to_bytes(65, "big")), "e": "AQAB", "kid": "weak-rsa"},
                {"kty": "EC", "crv": "P-256", "x": b64url(bytes(32)), "y": b64url(bytes(32)), "kid": "off-curve"},
                "not an object",
            ]
        }
    ).encode()


def _too_many_keys(factory: TokenFactory) -> bytes:
    key = factory.jwks["keys"][0]
    return json.dumps({"keys": [dict(key, kid=f"k{i}") for i in range(65)]}).encode()


HOSTILE: dict[str, tuple[Callable[[JWKSServer, TokenFactory], None], str]] = {
    "redirect": (lambda s, f: s.redirect(), "redirect"),
    "permanent redirect": (lambda s, f: s.redirect(status=308), "redirect"),
    "10 MB with length": (lambda s, f: s.send_large(10 * 1024 * 1024), "too_large"),
    "10 MB without length": (lambda s, f: s.send_large(10 * 1024 * 1024, content_length=False), "too_large"),
    "not JSON": (lambda s, f: s.send_garbage(), "not_json"),
    "JSON array": (lambda s, f: s.send_body(b"[]"), "not_a_jwks"),
    "keys not a list": (lambda s, f: s.send_body(b'{"keys": {}}'), "not_a_jwks"),
    "duplicate JSON keys": (lambda s, f: s.send_body(b'{"keys": [], "keys": []}'), "not_json"),
    "NaN": (lambda s, f: s.send_body(b'{"keys": [NaN]}'), "not_json"),
    "empty set": (lambda s, f: s.send_body(b'{"keys": []}'), "no_usable_keys"),
    "only invalid members": (lambda s, f: s.send_body(_invalid_members_only()), "no_usable_keys"),
    "too many keys": (lambda s, f: s.send_body(_too_many_keys(f)), "too_many_keys"),
    "compressed": (lambda s, f: s.send_body(b"\x1f\x8b", headers={"Content-Encoding": "gzip"}), "compressed"),
    "404": (lambda s, f: s.fail(404), "http_status"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_response_on_a_cold_cache(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, case: str
) -> None:
    misbehave, code = HOSTILE[case]
    misbehave(server, factory)
    verifier = verifier_for(jwks, factory)
    with pytest.raises(BetterAuthJWTError) as caught:
        verifier.verify(factory.access_token())
    assert type(caught.value) is KeysUnavailableError
    assert jwks.health()["last_error_code"] == code
    assert jwks.health()["key_count"] == 0
    assert server.hits == 1  # redirects were not followed


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_response_keeps_the_last_good_set(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, clock: FakeClock, case: str
) -> None:
    jwks.warm()
    generation = jwks.generation
    HOSTILE[case][0](server, factory)
    clock.advance(TTL)
    assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid
    assert server.hits == 2
    assert jwks.generation == generation
    assert jwks.health()["stale"] is True


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_response_async(jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, case: str) -> None:
    misbehave, code = HOSTILE[case]
    misbehave(server, factory)
    with pytest.raises(KeysUnavailableError):
        await verifier_for(jwks, factory).averify(factory.access_token())
    assert jwks.health()["last_error_code"] == code


def test_invalid_members_are_skipped_and_logged(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, caplog: pytest.LogCaptureFixture
) -> None:
    mixed = json.loads(_invalid_members_only())
    mixed["keys"].append(factory.jwks["keys"][0])
    server.set_jwks(mixed)
    with caplog.at_level(logging.WARNING, logger="betterauth_jwt"):
        assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid
    assert jwks.health()["kids"] == [factory.kid]
    for kid in ("symmetric", "small-order", "weak-rsa", "off-curve"):
        assert f"member '{kid}' " in caplog.text
    for kid in ("symmetric", "small-order", "weak-rsa", "off-curve"):
        with pytest.raises(UnknownKeyError):
            jwks.get_keys(kid, "EdDSA")


def test_redirects_are_refused_even_with_a_client_that_follows_them(factory: TokenFactory, server: JWKSServer) -> None:
    server.redirect()
    with (
        httpx.Client(follow_redirects=True) as client,
        RemoteJWKS(server.url, client=client) as jwks,
        pytest.raises(KeysUnavailableError, match="redirect"),
    ):
        jwks.warm()
    assert server.hits == 1


# -- clients and lifecycle -----------------------------------------------------------------------------------------------


def test_an_injected_client_is_used_and_not_closed(factory: TokenFactory, server: JWKSServer) -> None:
    seen: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda request: seen.append(str(request.url))]}) as client:
        with RemoteJWKS(server.url, client=client) as jwks:
            jwks.warm()
        assert seen == [server.url]
        assert not client.is_closed


@pytest.mark.anyio
@pytest.mark.usefixtures("no_blocking")
async def test_an_injected_async_client_is_used_and_not_closed(factory: TokenFactory, server: JWKSServer) -> None:
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(str(request.url))

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        async with RemoteJWKS(server.url, async_client=client) as jwks:
            await jwks.awarm()
        assert seen == [server.url]
        assert not client.is_closed


@pytest.mark.anyio
async def test_own_clients_are_closed_on_exit(server: JWKSServer) -> None:
    async with RemoteJWKS(server.url) as jwks:
        await jwks.awarm()
    assert jwks._client.is_closed
    assert jwks._async_client.is_closed


def test_after_close_cached_keys_serve_but_nothing_is_fetched(
    server: JWKSServer, factory: TokenFactory, clock: FakeClock
) -> None:
    with RemoteJWKS(server.url, clock=clock) as jwks:
        jwks.warm()
    assert jwks.get_keys(factory.kid, "EdDSA")[0].kid == factory.kid
    clock.advance(TTL + 86_400)
    with pytest.raises(KeysUnavailableError, match="closed"):
        jwks.get_keys(factory.kid, "EdDSA")
    assert server.hits == 1


def test_no_threads_are_left_behind(factory: TokenFactory) -> None:
    before = set(threading.enumerate())
    with JWKSServer(factory) as server, RemoteJWKS(server.url) as jwks:
        jwks.warm()
        asyncio.run(jwks.aget_keys(factory.kid, "EdDSA"))
    assert set(threading.enumerate()) <= before


# -- logging -------------------------------------------------------------------------------------------------------------


def test_logs_never_carry_token_contents(
    jwks: RemoteJWKS, factory: TokenFactory, server: JWKSServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="betterauth_jwt")
    verifier = verifier_for(jwks, factory)
    jwks.warm()
    other = TokenFactory("EdDSA")
    foreign = other.access_token("intruder")
    with pytest.raises(UnknownKeyError):
        verifier.verify(foreign)
    assert verifier.verify(factory.access_token()).user_id == "user_1"
    assert "refetching" in caplog.text
    assert other.kid is not None
    assert other.kid not in caplog.text
    assert foreign not in caplog.text
    assert foreign.split(".")[1] not in caplog.text


def test_fetch_key_set_reports_refused_members_and_leaves_the_cache_alone() -> None:
    from betterauth_jwt import KeysUnavailableError
    from betterauth_jwt.testing import JWKSServer, TokenFactory

    factory = TokenFactory("EdDSA")
    document = {"keys": [*factory.jwks["keys"], {"kty": "oct", "k": "c2VjcmV0", "kid": "shared"}]}
    with JWKSServer(document) as server, RemoteJWKS(server.url) as keys:
        key_set = keys.fetch_key_set()
        assert list(key_set.by_kid) == [factory.kid]
        assert [name for name, _ in key_set.rejected] == ["shared"]
        assert not keys.ready  # a diagnostic fetch installs nothing
        server.fail(500)
        with pytest.raises(KeysUnavailableError) as caught:
            keys.fetch_key_set()
        assert caught.value.code == "http_status"
