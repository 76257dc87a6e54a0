"""Where a cold verification's time goes: each step of betterauth-jwt's path, timed alone on the same token.

    python -m benchmarks.parts                 # HS256, RS256, EdDSA; a few seconds
    python -m benchmarks.parts --smoke         # tiny counts: checks it runs, times nothing

Steps, in the order the verifier takes them: the shape checks and split, base64url of the payload and of the signature
(strict, canonical), strict JSON of the payload (duplicate keys refused, no NaN, bounded nesting; the header's result is
memoised per verifier), the signature call (and, where issue 22 changed it, the previous call), and the claims and
identity. ``json.loads`` and ``base64.urlsafe_b64decode`` are timed beside our strict versions: the difference is
what the strictness rules cost. Each row is the best of ``--repeat`` runs of ``--number`` calls (timeit's advice for
steps this small). Results: stdout and ``results/parts.json``.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._contenders import OURS_NO_CACHE, Case, signature_check
from benchmarks._report import table, write_json
from betterauth_jwt._jose.json import loads_strict
from betterauth_jwt._jose.token import _check_shape, b64url_decode, parse_token


def steps(case: Case) -> dict[str, Callable[[], object]]:
    token = case.tokens(1)[0]
    header, payload, signature = token.split(".")
    payload_bytes, signature_bytes = b64url_decode(payload), b64url_decode(signature)
    signing_input = f"{header}.{payload}".encode()
    algorithms = frozenset({case.alg})
    verify = OURS_NO_CACHE.build(case)
    assert verify is not None
    fastest, previous = signature_check(case, "fastest"), signature_check(case, "previous")
    assert fastest is not None
    out: dict[str, Callable[[], object]] = {
        "whole verification (cache_size=0)": lambda: verify(token),
        "parse_token (all of the parsing below)": lambda: parse_token(
            token, allowed_algorithms=algorithms, max_bytes=16384
        ),
        "shape checks + split": lambda: _check_shape(token, 16384),
        "base64url payload, strict": lambda: b64url_decode(payload),
        "base64url payload, urlsafe_b64decode": lambda: base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)),
        "base64url signature, strict": lambda: b64url_decode(signature),
        "JSON payload, strict": lambda: loads_strict(payload_bytes),
        "JSON payload, json.loads": lambda: json.loads(payload_bytes),
        "signature call, fastest": lambda: fastest(signing_input, signature_bytes),
    }
    if previous is not None:
        out["signature call, previous"] = lambda: previous(signing_input, signature_bytes)
    return out


TIMERS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(case: Case, number: int, repeat: int, timer: str = "wall") -> dict[str, float]:
    return {
        name: min(timeit.repeat(step, number=number, repeat=repeat, timer=TIMERS[timer])) / number * 1e6
        for name, step in steps(case).items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--algorithms", nargs="+", default=["HS256", "RS256", "EdDSA"])
    parser.add_argument("--smoke", action="store_true", help="tiny counts (checks it runs; times nothing)")
    parser.add_argument("--output", type=Path, default=None, help="directory for parts.json (default: results/)")
    parser.add_argument("--clock", choices=sorted(TIMERS), default="wall", help="cpu: this process's CPU time")
    args = parser.parse_args(argv)
    if args.smoke:
        args.number, args.repeat = 10, 1
    results: dict[str, dict[str, Any]] = {
        alg: measure(Case(alg), args.number, args.repeat, args.clock) for alg in args.algorithms
    }
    names = list(dict.fromkeys(name for result in results.values() for name in result))
    rows = []
    for name in names:
        row: list[object] = [name]
        for result in results.values():
            whole = result["whole verification (cache_size=0)"]
            row += [result.get(name), None if name not in result else round(result[name] / whole, 2)]
        rows.append(row)
    headers = ["step"]
    for alg in results:
        headers += [f"{alg} µs", "share"]
    print("Best µs per call of each step, and its share of the whole verification (same token, same run).\n")
    print(table(headers, rows))
    path = write_json(
        "parts",
        {"smoke": args.smoke, "number": args.number, "repeat": args.repeat, "clock": args.clock, "us": results},
        args.output,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
