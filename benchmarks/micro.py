"""Micro-benchmark: verifying Better Auth-shaped JWTs with betterauth-jwt, the practical floor and every peer library.

    python -m benchmarks.micro                 # the full run (a few minutes); `make bench` runs it
    python -m benchmarks.micro --smoke         # tiny counts: checks that everything runs and agrees, times nothing

For each algorithm (HS256, RS256, ES256, EdDSA) it first checks that every implementation accepts valid tokens and
rejects tampered ones (and stops if one does not), then times, in the same process:

- **cold**: every round a new batch of distinct tokens, each verified once by every contender. betterauth-jwt runs
  twice: with its default cache (one long-lived ``Verifier`` whose 10,000-entry cache is first filled with other
  tokens, so each measured token is a miss that also pays for its insert and for evicting the oldest entry, as in a
  long-running service) and with ``cache_size=0``. A batch's tokens are issued in the same second, as a busy
  service's new tokens are; a third betterauth-jwt row, for information, verifies tokens that share no issue or expiry
  second (no datetime shared between identities: its least favourable case);
- **repeated token**: one token verified over and over (betterauth-jwt's cache hit), with ``verify`` and ``averify``;
- **both ways** (issue 22): for EdDSA, betterauth-jwt and the floor also on ``cryptography``'s Ed25519 (the path
  without PyNaCl), and for HS256 the floor with the one-shot ``hmac.digest``; the signature call alone, on each
  backend, shows the crypto's share of every row (and why a Rust-backed peer can be faster).

After the table, each peer's time as a ratio of ours, with what it does not check (``benchmarks/_gaps.py``).

Method: ``time.perf_counter_ns`` (or, with ``--clock cpu``, the process's CPU time) around each batch, the garbage collector paused during a batch (as ``timeit`` does),
contenders interleaved round-robin with a rotating start so that noise on a shared machine spreads evenly, and medians
over the rounds. Ratios compare medians of the same run. Results: a table on stdout and ``results/micro.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._contenders import (
    ALGORITHMS,
    CONTENDERS,
    FLOOR,
    OURS,
    OURS_CRYPTOGRAPHY,
    OURS_NO_CACHE,
    PEERS,
    RUST_PEERS,
    Case,
    disagreements,
    signature_check,
)
from benchmarks._gaps import PROBES, accepted_probes
from benchmarks._report import CLOCKS, clock, table, use_clock, write_json
from betterauth_jwt import Verifier
from betterauth_jwt._kinds import identity as _identity
from betterauth_jwt._verifier import DEFAULT_CACHE_SIZE

# The targets of issue 9: cold verification within this factor of the floor, and a cache hit under this many µs.
COLD_TARGET = {"HS256": 1.30, "RS256": 1.10, "ES256": 1.10, "EdDSA": 1.10}
HIT_TARGET_US = 2.0
DISTINCT_SECONDS = "betterauth-jwt, each token issued in its own second"
REPEATED = "betterauth-jwt, repeated token (cache hit)"
REPEATED_ASYNC = "betterauth-jwt, repeated token, averify"
SIGNATURE_ONLY = "signature call only, fastest backend"
SIGNATURE_ONLY_PREVIOUS = "signature call only, previous call"
# Issue 22: EdDSA through libsodium at least this many times faster than the same verifier on cryptography's Ed25519.
EDDSA_SPEEDUP_TARGET = 1.6

Timer = Callable[[], float]  # runs one timed batch, returns ns per verification


def _batch_timer(verify: Callable[[str], Any], token_sets: list[list[str]], ours: bool = False) -> Timer:
    rounds = iter(token_sets)

    def run() -> float:
        tokens = next(rounds)  # a new batch every round: a verifier with a cache has never seen these tokens
        if ours:
            # The betterauth-jwt contenders verify the same batch, and identities issued in the same second share
            # their datetimes (process-wide): forget them, so that each pays for creating them.
            _identity._moments.clear()
        start = clock()
        for token in tokens:
            verify(token)
        return (clock() - start) / len(tokens)

    return run


def _signature_timer(case: Case, backend: str, token_sets: list[list[str]]) -> Timer | None:
    """Only the signature call of each token (split and decoded outside the timed loop): the crypto backend's share."""
    check = signature_check(case, backend)
    if check is None:
        return None
    inputs = []
    for tokens in token_sets:
        batch = []
        for token in tokens:
            head, body, signature = token.split(".")
            batch.append((f"{head}.{body}".encode(), base64.urlsafe_b64decode(signature + "==")))
        inputs.append(batch)
    rounds = iter(inputs)

    def run() -> float:
        batch = next(rounds)
        start = clock()
        for signing_input, signature in batch:
            check(signing_input, signature)
        return (clock() - start) / len(batch)

    return run


def _hit_timer(case: Case, hits: int) -> tuple[Timer, Timer]:
    verifier = _ours_verifier(case)
    token = case.tokens(1, prefix="repeated")[0]
    verifier.verify(token)  # the one miss; everything timed below is a hit
    verify, averify = verifier.verify, verifier.averify

    def sync_run() -> float:
        start = clock()
        for _ in range(hits):
            verify(token)
        return (clock() - start) / hits

    async def async_loop() -> float:
        start = clock()
        for _ in range(hits):
            await averify(token)
        return (clock() - start) / hits

    loop = asyncio.new_event_loop()
    return sync_run, lambda: loop.run_until_complete(async_loop())


def _ours_verifier(case: Case) -> Verifier:
    verify = OURS.build(case)
    assert verify is not None
    verifier = verify.__self__  # type: ignore[attr-defined]
    assert isinstance(verifier, Verifier)
    return verifier


def run_case(case: Case, batch: int, rounds: int, hits: int, fill: int) -> dict[str, Any]:
    token_sets = [case.tokens(batch, prefix=f"round{r}_user") for r in range(rounds)]
    timers: dict[str, Timer] = {}
    for contender in CONTENDERS:
        verify = contender.build(case)
        if verify is None:
            continue
        if contender is OURS:
            # A long-running service's cache is full: every new token also evicts the oldest entry (and the allocator
            # reuses its memory). Filling it first measures that steady state, not a cache growing from empty.
            for token in case.tokens(fill, prefix="fill_user"):
                verify(token)
        timers[contender.name] = _batch_timer(verify, token_sets, ours=contender in (OURS, OURS_NO_CACHE))
    # For information, not a target: the default verifier again, on tokens that share no issue or expiry second.
    verify = OURS.build(case)
    assert verify is not None
    for token in case.tokens(fill, prefix="fill_user", distinct_seconds=True):
        verify(token)
    distinct_sets = [case.tokens(batch, prefix=f"round{r}_user", distinct_seconds=True) for r in range(rounds)]
    timers[DISTINCT_SECONDS] = _batch_timer(verify, distinct_sets, ours=True)
    timers[REPEATED], timers[REPEATED_ASYNC] = _hit_timer(case, hits)
    for name, backend in ((SIGNATURE_ONLY, "fastest"), (SIGNATURE_ONLY_PREVIOUS, "previous")):
        signature_timer = _signature_timer(case, backend, token_sets)
        if signature_timer is not None:
            timers[name] = signature_timer

    samples: dict[str, list[float]] = {name: [] for name in timers}
    names = list(timers)
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            gc.disable()
            try:
                samples[name].append(timers[name]())
            finally:
                gc.enable()
    medians_us = {name: statistics.median(values) / 1000 for name, values in samples.items()}
    return {
        "tokens_per_batch": batch,
        "rounds": rounds,
        "hits_per_round": hits,
        "cache_filled_with": fill,
        "median_us": medians_us,
        "min_us": {name: min(values) / 1000 for name, values in samples.items()},
        "unsupported": [c.name for c in CONTENDERS if c.name not in timers],
    }


def verdicts(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target of the issue that this run measures."""
    out = []
    for alg, result in results.items():
        med = result["median_us"]
        floor = med[FLOOR.name]
        for contender, label in ((OURS_NO_CACHE, "cache_size=0"), (OURS, "default cache, full")):
            ratio = med[contender.name] / floor
            target = f"{alg} cold ({label}) <= {COLD_TARGET[alg]:.2f}x floor"
            out.append((target, f"{ratio:.3f}x", ratio <= COLD_TARGET[alg]))
        python_peers = [p for p in PEERS if p not in RUST_PEERS]
        slowest_peer_gap = min((med[p.name] / med[OURS.name], p.name) for p in python_peers if p.name in med)
        out.append(
            (
                f"{alg} cold faster than every pure-Python peer",
                f"nearest: {slowest_peer_gap[1]} at {slowest_peer_gap[0]:.2f}x our time",
                slowest_peer_gap[0] > 1.0,
            )
        )
        if OURS_CRYPTOGRAPHY.name in med:
            speedup = med[OURS_CRYPTOGRAPHY.name] / med[OURS.name]
            target = f"{alg} cold >= {EDDSA_SPEEDUP_TARGET}x faster than on cryptography's Ed25519"
            out.append((target, f"{speedup:.2f}x", speedup >= EDDSA_SPEEDUP_TARGET))
        hit = med[REPEATED]
        out.append((f"{alg} cache hit <= {HIT_TARGET_US:.0f} us", f"{hit:.3f} us", hit <= HIT_TARGET_US))
    return out


def render(results: dict[str, dict[str, Any]], gaps: dict[str, dict[str, list[str] | None]]) -> str:
    names = [c.name for c in CONTENDERS]
    names += [DISTINCT_SECONDS, REPEATED, REPEATED_ASYNC, SIGNATURE_ONLY, SIGNATURE_ONLY_PREVIOUS]
    rows = []
    for name in names:
        row: list[object] = [name]
        for alg in results:
            med = results[alg]["median_us"]
            row.append(med.get(name))
            row.append(None if name not in med else round(med[name] / med[FLOOR.name], 2))
        rows.append(row)
    headers = ["implementation"]
    for alg in results:
        headers += [f"{alg} µs", "x floor"]
    lines = [
        "Median µs per verification (cold = a token never seen before); x floor = ratio to the floor, same run.",
        "",
    ]
    lines.append(table(headers, rows))
    lines += [
        "",
        "Ratio of each peer's time to betterauth-jwt's (cold, default cache): above 1 means we are faster. "
        "Does not check: what betterauth-jwt refuses and the peer, configured as above, accepts (benchmarks/_gaps.py).",
        "",
    ]
    peer_rows = []
    for contender in (OURS_NO_CACHE, *PEERS):
        peer_rows.append(
            [contender.name]
            + [
                None
                if contender.name not in r["median_us"]
                else round(r["median_us"][contender.name] / r["median_us"][OURS.name], 2)
                for r in results.values()
            ]
            + [_gap_text(contender.name, gaps)]
        )
    lines.append(table(["implementation", *results, "does not check"], peer_rows))
    return "\n".join(lines)


def _gap_text(name: str, gaps: dict[str, dict[str, list[str] | None]]) -> str:
    per_alg = {alg: found[name] for alg, found in gaps.items() if found.get(name) is not None}
    if not per_alg:
        return "n/a"
    union = sorted({label for labels in per_alg.values() if labels for label in labels}, key=list(PROBES).index)
    return ", ".join(union) or "-"


def gaps(case: Case) -> dict[str, list[str] | None]:
    return {c.name: accepted_probes(c, case) for c in (OURS, OURS_NO_CACHE, *PEERS)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21, help="timed rounds per contender (median reported)")
    parser.add_argument("--batch", type=int, default=200, help="distinct tokens verified per cold round")
    parser.add_argument("--hits", type=int, default=20000, help="cache hits per repeated-token round")
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS), choices=ALGORITHMS)
    parser.add_argument("--smoke", action="store_true", help="tiny counts (checks the benchmark runs; times nothing)")
    parser.add_argument("--output", type=Path, default=None, help="directory for micro.json (default: results/)")
    parser.add_argument("--nice", type=int, default=0, help="niceness increment (e.g. -10, as root, on a busy machine)")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: time waited (default); cpu: this process's CPU time, for a busy shared machine",
    )
    args = parser.parse_args(argv)
    use_clock(args.clock)
    if args.nice:
        os.nice(args.nice)
    if args.smoke:
        args.rounds, args.batch, args.hits = 2, 3, 10

    if sys.version_info < (3, 12):
        print(f"ryjwt is left out: it has no wheel before Python 3.12 (this is {sys.version.split()[0]})")
    results: dict[str, dict[str, Any]] = {}
    agreement: dict[str, list[str]] = {}
    found_gaps: dict[str, dict[str, list[str] | None]] = {}
    for alg in args.algorithms:
        case = Case(alg)
        agreement[alg] = disagreements(case)
        if agreement[alg]:
            print("\n".join(agreement[alg]), file=sys.stderr)
            return 1
        print(
            f"{alg}: every implementation accepts the valid tokens and rejects the tampered ones; timing...", flush=True
        )
        found_gaps[alg] = gaps(case)
        results[alg] = run_case(case, args.batch, args.rounds, args.hits, fill=0 if args.smoke else DEFAULT_CACHE_SIZE)

    print()
    print(render(results, found_gaps))
    checks = [] if args.smoke else verdicts(results)  # smoke counts are too small for any verdict
    print()
    for target, measured, met in checks:
        print(f"{'met ' if met else 'MISS'}  {target}: {measured}")
    path = write_json(
        "micro",
        {
            "smoke": args.smoke,
            "settings": {
                "rounds": args.rounds,
                "batch": args.batch,
                "hits": args.hits,
                "nice": args.nice,
                "clock": args.clock,
            },
            "contenders": {c.name: c.call for c in CONTENDERS},
            "agreement": agreement,
            "does_not_check": found_gaps,
            "results": results,
            "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in checks],
        },
        args.output,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
