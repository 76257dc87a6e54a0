"""Session mode beside JWT mode, in process: microseconds per verification and store round trips per verification.

    python -m benchmarks.sessions            # 2,000 verifications per variant; PostgreSQL too if TEST_POSTGRES_URL is set
    python -m benchmarks.sessions --smoke    # 50 per variant (checks; times nothing)

One signed-in user, the same credential on every request (what a browser sends): a JWT verified by ``Verifier`` (its
verified-token cache on, as deployed, then off), and Better Auth's session cookie verified by ``SessionVerifier``
against a SQLite file, PostgreSQL and a local ``redis-server`` (each sync and async, no cache), then with
``cache_ttl=5``. Round trips are counted at the store (``run``/``arun`` calls). The stores are local: over a network,
add its round-trip time to each store trip.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests._services import postgres_database, redis_server
from tests.stores._support import SECRET, Row, create_tables

from benchmarks._report import table, write_json
from betterauth_jwt import RedisSessionStore, SessionVerifier, SharedSecret, SqlSessionStore, Verifier
from betterauth_jwt.testing import TokenFactory


class Counting:
    """A store that counts the I/O operations its lookups ask for: the round trips."""

    def __init__(self, store: Any) -> None:
        self.store, self.trips = store, 0

    def lookup(self, cookie: Any) -> Any:
        return self.store.lookup(cookie)

    def run(self, operation: object) -> object:
        self.trips += 1
        return self.store.run(operation)

    async def arun(self, operation: object) -> object:
        self.trips += 1
        return await self.store.arun(operation)

    def close(self) -> None:
        self.store.close()

    async def aclose(self) -> None:
        await self.store.aclose()


def _timed(call: Callable[[], object], count: int) -> float:
    call()  # warm: connections, imports
    start = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - start) / count * 1e6


async def _atimed(sessions: SessionVerifier, cookie: str, count: int) -> float:
    await sessions.averify(cookie)
    start = time.perf_counter()
    for _ in range(count):
        await sessions.averify(cookie)
    micros = (time.perf_counter() - start) / count * 1e6
    await sessions.aclose()  # on the loop the async engine or client belongs to
    return micros


def _session_rows(name: str, store: Any, cookie: str, count: int) -> Iterator[list[object]]:
    for mode in ("sync", "async"):
        for cache_ttl in (0, 5):
            counting = Counting(store)
            sessions = SessionVerifier(secret=SECRET, store=counting, csrf=None, cache_ttl=cache_ttl)  # type: ignore[arg-type]
            if mode == "sync":
                micros = _timed(lambda: sessions.verify(cookie), count)  # noqa: B023
            else:
                micros = asyncio.run(_atimed(sessions, cookie, count))
            label = f"session, {name}, {mode}" + (f", cache_ttl={cache_ttl}" if cache_ttl else "")
            yield [label, round(micros, 1), round(counting.trips / (count + 1), 2)]
    store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2_000, help="verifications per variant")
    parser.add_argument("--smoke", action="store_true", help="50 verifications per variant")
    parser.add_argument("--output", type=Path, default=None, help="directory for sessions.json (default: results/)")
    args = parser.parse_args(argv)
    count = 50 if args.smoke else args.count

    factory = TokenFactory("HS256", secret=SECRET)
    token = factory.access_token("user_1")
    rows: list[list[object]] = []
    for cache_size in (10_000, 0):
        verifier = Verifier(
            SharedSecret(SECRET), issuer=factory.issuer, audience=factory.audience, cache_size=cache_size
        )
        micros = statistics.median(_timed(lambda: verifier.verify(token), count) for _ in range(3))  # noqa: B023
        rows.append([f"JWT (HS256), cache {'on' if cache_size else 'off'}", round(micros, 1), 0])

    now = datetime.now(UTC)
    row = Row(created_at=now - timedelta(hours=1), expires_at=now + timedelta(days=7))
    cookie = row.cookie()
    with tempfile.TemporaryDirectory(prefix="betterauth-sessions-bench-") as tmp, contextlib.ExitStack() as stack:
        sqlite_url = f"sqlite:///{tmp}/auth.db"
        create_tables(sqlite_url, row)
        rows += _session_rows("SQLite", SqlSessionStore(sqlite_url), cookie, count)
        if os.environ.get("TEST_POSTGRES_URL"):
            postgres_url = stack.enter_context(postgres_database("sessions_bench"))
            create_tables(postgres_url, row)
            rows += _session_rows("PostgreSQL", SqlSessionStore(postgres_url), cookie, count)
        redis_url = stack.enter_context(redis_server())
        import redis

        client = redis.Redis.from_url(redis_url)
        client.set(row.token, row.redis_value())
        client.close()
        rows += _session_rows("Redis", RedisSessionStore(redis_url), cookie, count)

    headers = ["variant", "µs per verification", "store round trips per verification"]
    print(table(headers, rows))
    path = write_json("sessions", {"count": count, "headers": headers, "rows": rows}, args.output)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
