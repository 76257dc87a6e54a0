"""Benchmark: ``OAuthVerifier`` against ``Verifier`` on the same algorithm, cold and cached (issue 18).

    python -m benchmarks.oauth_bench            # the full run (about twenty seconds)
    python -m benchmarks.oauth_bench --smoke    # tiny counts: checks that it runs, times nothing

Each verifier gets the tokens it exists for, as Better Auth mints them (``TokenFactory``): ``Verifier`` first-party JWTs
(the user object spread in), ``OAuthVerifier`` RFC 9068 access tokens (``typ: at+jwt``, ``client_id``, ``scope``...),
signed by the same key. Rows:

- **cold, cache_size=0**: every round a new batch of distinct tokens, nothing cached (parse, key, signature, profile);
- **cold, default cache**: the same with the default cache, so each token also pays for its insert;
- **cache hit**: one token verified over and over.

Method as in ``benchmarks.micro`` (the garbage collector paused during a batch, the two verifiers interleaved with a
rotating start, medians over the rounds), except the clock: ``thread_time_ns``, this thread's CPU time, so that other
processes on a busy machine do not land in one side's batch (wall-clock medians swung by 2x there). Target: OAuth cold
within 1.10x of first-party cold; a cache hit as fast. Results: a table on stdout and ``results/oauth.json``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._report import table, write_json
from betterauth_jwt import OAuthVerifier, Verifier
from betterauth_jwt._kinds import identity as _identity
from betterauth_jwt.testing import TokenFactory

ALGORITHMS = ("EdDSA", "ES256", "RS256")
COLD_TARGET = 1.10
RESOURCE = "https://api.example.com/mcp"
ROWS = ("cold, cache_size=0", "cold, default cache", "cache hit")
KINDS = ("first-party Verifier", "OAuthVerifier")

Timer = Callable[[], float]  # one timed batch: ns per verification


def _cold(verifier: Verifier | OAuthVerifier, batches: list[list[str]]) -> Timer:
    rounds = iter(batches)
    verify = verifier.verify

    def run() -> float:
        tokens = next(rounds)
        _identity._moments.clear()  # datetimes are shared per second, process-wide: each side pays for its own
        start = time.thread_time_ns()
        for token in tokens:
            verify(token)
        return (time.thread_time_ns() - start) / len(tokens)

    return run


def _hits(verifier: Verifier | OAuthVerifier, token: str, hits: int) -> Timer:
    verify = verifier.verify
    verify(token)

    def run() -> float:
        start = time.thread_time_ns()
        for _ in range(hits):
            verify(token)
        return (time.thread_time_ns() - start) / hits

    return run


def _without_gc(timer: Timer) -> float:
    gc.collect()
    gc.disable()  # as timeit does: a collection inside one side's batch is noise
    try:
        return timer()
    finally:
        gc.enable()


def run_algorithm(alg: str, batch: int, rounds: int, hits: int) -> dict[str, Any]:
    factory = TokenFactory(alg)
    mint: dict[str, Callable[[int, int], str]] = {
        KINDS[0]: lambda r, i: factory.access_token(f"user_{r}_{i}"),
        KINDS[1]: lambda r, i: factory.oauth_token(f"user_{r}_{i}", resource=RESOURCE),
    }

    def build(kind: str, **options: Any) -> Verifier | OAuthVerifier:
        return factory.verifier(**options) if kind == KINDS[0] else factory.oauth_verifier(RESOURCE, **options)

    timers: dict[tuple[str, str], Timer] = {}
    for kind in KINDS:
        for row, options in ((ROWS[0], {"cache_size": 0}), (ROWS[1], {})):
            batches = [[mint[kind](r, i) for i in range(batch)] for r in range(rounds)]
            timers[(row, kind)] = _cold(build(kind, **options), batches)
        timers[(ROWS[2], kind)] = _hits(build(kind), mint[kind](-1, 0), hits)

    samples: dict[tuple[str, str], list[float]] = {key: [] for key in timers}
    keys = list(timers)
    # Round-robin with a start that rotates each round, so that a slow spell of the machine spreads over every case.
    order = [keys[(start + offset) % len(keys)] for start in range(rounds) for offset in range(len(keys))]
    for key in order:
        samples[key].append(_without_gc(timers[key]))
    median_us = {row: {kind: statistics.median(samples[(row, kind)]) / 1000 for kind in KINDS} for row in ROWS}
    ratios = {row: median_us[row][KINDS[1]] / median_us[row][KINDS[0]] for row in ROWS}
    return {"median_us": median_us, "oauth_over_first_party": ratios}


def render(results: dict[str, dict[str, Any]]) -> str:
    rows = []
    for alg, result in results.items():
        for row in ROWS:
            med = result["median_us"][row]
            rows.append([alg, row, med[KINDS[0]], med[KINDS[1]], round(result["oauth_over_first_party"][row], 3)])
    headers = ["algorithm", "case", f"{KINDS[0]} µs", f"{KINDS[1]} µs", "OAuth / first-party"]
    return "Median µs per verification; each verifier on the tokens it is for, same key.\n\n" + table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    counts = (
        ("--rounds", 21, "timed rounds per case (median reported)"),
        ("--batch", 200, "distinct tokens per cold round"),
        ("--hits", 20000, "verifications per cache-hit round"),
    )
    for flag, default, text in counts:
        parser.add_argument(flag, type=int, default=default, help=text)
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS), choices=ALGORITHMS)
    parser.add_argument("--smoke", action="store_true", help="tiny counts (checks the benchmark runs; times nothing)")
    parser.add_argument("--output", type=Path, default=None, help="directory for oauth.json (default: results/)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.batch, args.hits = 2, 3, 10
    results = {alg: run_algorithm(alg, args.batch, args.rounds, args.hits) for alg in args.algorithms}
    print(render(results))
    if not args.smoke:  # smoke counts are too small for any verdict
        print()
        for alg, result in results.items():
            for row in ROWS[:2]:
                ratio = result["oauth_over_first_party"][row]
                print(f"{'met ' if ratio <= COLD_TARGET else 'MISS'}  {alg} {row}: OAuth {ratio:.3f}x first-party")
    path = write_json(
        "oauth",
        {"smoke": args.smoke, "rounds": args.rounds, "batch": args.batch, "hits": args.hits, "results": results},
        args.output,
    )
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
