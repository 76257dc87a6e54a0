"""Session mode beside JWT mode over HTTP: requests/s behind one uvicorn, and store round trips per request.

    python -m benchmarks.sessions_http            # 5-second wrk runs, 3 rounds (a couple of minutes)
    python -m benchmarks.sessions_http --smoke    # 1-second runs, one round: checks that every variant serves 200s

The app is ``benchmarks.http_app`` (the bare ASGI app) behind ``BetterAuthMiddleware``, served as in ``http_bench``:
``uvicorn --loop uvloop --http httptools``, one worker, a free 127.0.0.1 port, loaded by ``wrk -t1 -c32 -d<N>s`` (GET
requests, loopback only, bounded in time), a fresh server per run, variants round-robin, the median reported.

- ``JWT``: ``Verifier`` (EdDSA), one access token repeated in ``Authorization: Bearer`` (its verified-token cache on,
  as deployed);
- ``session, SQLite``: the same middleware with ``cookie=SessionVerifier(store=SqlSessionStore(...))`` on a SQLite file
  holding Better Auth's tables and one signed-in user (``tests.stores._support.create_tables``); the cookie sent as
  ``Cookie: better-auth.session_token=...`` with an ``Origin`` the ``OriginCheck`` trusts;
- ``session, Redis``: ``RedisSessionStore`` on a ``redis-server`` started here on a free 127.0.0.1 port
  (``tests._services.redis_server``), holding the session as Better Auth's ``secondaryStorage`` writes it;
- each session mode again with ``cache_ttl=5`` (the short positive cache).

Round trips per request are counted three ways and divided by the requests the server handled (wrk's count leaves out
those still in flight when it stops): the store's ``run``/``arun`` calls
(the app wraps the store, ``benchmarks.sessions.Counting``, and answers the counts at ``/_bench/stats``), the SQL
statements every SQLAlchemy engine executed (a ``before_cursor_execute`` event), and the Redis ``GET`` commands
(``INFO commandstats``, read before and after the run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests._services import redis_server
from tests.stores._support import Row, create_tables

from benchmarks._report import table, write_json
from benchmarks.http_bench import _free_port, _pin, parse_wrk, prepare_files, run_rounds, running_server

ORIGIN = "https://app.example.test"
CACHE_TTL = 5


@dataclass(frozen=True)
class Variant:
    name: str
    store: str | None  # None: JWT mode; "sqlite" or "redis"
    cache_ttl: float = 0


JWT = Variant("JWT (EdDSA), repeated token", None)
VARIANTS = (
    JWT,
    Variant("session, SQLite", "sqlite"),
    Variant("session, Redis", "redis"),
    Variant(f"session, SQLite, cache_ttl={CACHE_TTL}", "sqlite", CACHE_TTL),
    Variant(f"session, Redis, cache_ttl={CACHE_TTL}", "redis", CACHE_TTL),
)


def _redis_gets(url: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("commandstats").get("cmdstat_get", {}).get("calls", 0))
    finally:
        client.close()


def _stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/stats", timeout=5) as answer:
        stats: dict[str, int] = json.loads(answer.read())
        return stats


def _settled_stats(port: int) -> dict[str, int]:
    """The counts once the requests still in flight when wrk stopped are done (two reads 0.1 s apart agree)."""
    stats = _stats(port)
    for _ in range(50):
        time.sleep(0.1)
        again = _stats(port)
        if again == stats:
            break
        stats = again
    return stats


def run_variant(variant: Variant, setup: dict[str, Any], args: argparse.Namespace, pin: bool) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "BENCH_JWKS": str(setup["jwks"]), "BENCH_FRAMEWORK": "asgi", "BENCH_AUTH": "betterauth"}
    if variant.store is not None:
        env |= {
            "BENCH_AUTH": "session",
            "BENCH_STORE": setup[variant.store],
            "BENCH_CACHE_TTL": str(variant.cache_ttl),
            "BENCH_ORIGIN": ORIGIN,
        }
    server_cmd = [
        *_pin(0, pin, 0),
        sys.executable, "-m", "uvicorn", "benchmarks.http_app:app",
        "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--workers", "1",
        "--lifespan", "off", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    wrk_cmd = [*_pin(1, pin, 0), "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "5s"]
    if variant.store is None:
        wrk_cmd += ["-H", f"Authorization: Bearer {setup['token']}"]
    else:
        wrk_cmd += ["-H", f"Cookie: better-auth.session_token={setup['cookie']}", "-H", f"Origin: {ORIGIN}"]
    wrk_cmd.append(f"http://127.0.0.1:{port}/")
    log = setup["directory"] / "uvicorn.log"
    gets_before = _redis_gets(setup["redis"]) if variant.store == "redis" else 0
    with running_server(server_cmd, port=port, env=env, log=log, label=variant.name):
        before = _stats(port) if variant.store else {}
        done = subprocess.run(wrk_cmd, capture_output=True, text=True, timeout=args.duration + 30, check=True)
        after = _settled_stats(port) if variant.store else {}
    result: dict[str, Any] = parse_wrk(done.stdout)
    result["served_as_expected"] = result["non_2xx"] == 0 and result["socket_errors"] == 0
    requests = max(after.get("requests", 0) - before.get("requests", 0), 1)  # as the server counted them
    per_request = {name: (after[name] - before[name]) / requests for name in after if name != "requests"}
    if variant.store == "redis":
        per_request["redis_gets"] = (_redis_gets(setup["redis"]) - gets_before) / requests
    result["per_request"] = per_request
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per variant (median reported)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-pin", action="store_true", help="do not pin uvicorn and wrk to separate CPUs")
    parser.add_argument("--smoke", action="store_true", help="1-second runs, one round (checks; times nothing)")
    parser.add_argument("--output", type=Path, default=None, help="directory for sessions_http.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.rounds = 1, 1
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None

    now = datetime.now(UTC)
    row = Row(created_at=now - timedelta(hours=1), expires_at=now + timedelta(days=7))
    samples: dict[str, list[dict[str, Any]]] = {v.name: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="betterauth-sessions-http-") as tmp, contextlib.ExitStack() as stack:
        directory = Path(tmp)
        files = prepare_files(directory, unique_count=1, garbage_count=1)
        setup: dict[str, Any] = {
            "directory": directory,
            "jwks": files["jwks"],
            "token": files["repeated"].read_text().strip(),
            "cookie": row.cookie(),
            "sqlite": f"sqlite:///{directory}/auth.db",
            "redis": stack.enter_context(redis_server()),
        }
        create_tables(setup["sqlite"], row)
        import redis

        client = redis.Redis.from_url(setup["redis"])
        client.set(row.token, row.redis_value())
        client.close()
        samples.update(run_rounds(VARIANTS, args.rounds, lambda variant: run_variant(variant, setup, args, pin)))

    median = {name: statistics.median(r["requests_per_s"] for r in runs) for name, runs in samples.items()}
    base = median[JWT.name]
    correct = {name: all(r["served_as_expected"] for r in runs) for name, runs in samples.items()}
    trips: dict[str, dict[str, float]] = {}
    for name, runs in samples.items():
        counters = sorted({key for r in runs for key in r["per_request"]})
        trips[name] = {key: statistics.median(r["per_request"][key] for r in runs) for key in counters}

    def shown(name: str, key: str) -> str:
        return f"{trips[name][key]:.3f}" if key in trips[name] else "0" if name == JWT.name else "-"

    rows = [
        [name, median[name], round(median[name] / base, 3), shown(name, "store_round_trips"),
         shown(name, "sql_statements"), shown(name, "redis_gets"), shown(name, "cache_hits"),
         "yes" if correct[name] else "NO"]
        for name in median
    ]  # fmt: skip
    print()
    print(f"uvicorn --loop uvloop --http httptools, 1 worker, bare ASGI app; wrk -t1 -c{args.connections} "
          f"-d{args.duration}s, GET, median of {args.rounds}; pinned: {pin}; stores on this machine")  # fmt: skip
    print()
    headers = ["variant", "requests/s", "x JWT", "store round trips/req", "SQL statements/req", "Redis GETs/req",
               "cache hits/req", "answered 200"]  # fmt: skip
    print(table(headers, rows))
    path = write_json(
        "sessions_http",
        {
            "smoke": args.smoke,
            "settings": {
                "duration_s": args.duration,
                "rounds": args.rounds,
                "connections": args.connections,
                "pinned": pin,
                "cache_ttl": CACHE_TTL,
            },
            "median_requests_per_s": median,
            "ratio_to_jwt": {name: value / base for name, value in median.items()},
            "round_trips_per_request": trips,
            "served_as_expected": correct,
            "runs": samples,
        },
        args.output,
    )
    print(f"\nwrote {path}")
    return 0 if all(correct.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
