"""Before and after: this checkout's betterauth-jwt against another git revision's, in one process, interleaved.

    python -m benchmarks.before_after --ref main            # every algorithm; a few minutes on a busy machine
    python -m benchmarks.before_after --ref main --smoke    # tiny counts: checks it runs, times nothing

On a shared machine two runs minutes apart meet different loads, so comparing two benchmark runs says little. Here
the other revision's package is extracted (``git archive``) and imported under another name beside this one, and
both verify the same tokens in alternating batches, timed in CPU time: whatever the load, it falls on both alike.
Rows: cold with ``cache_size=0``, cold with the default cache full, and a cache hit; the ratio after/before below 1
means this checkout is faster.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks._contenders import ALGORITHMS, AUDIENCE, ISSUER
from benchmarks._report import table, write_json
from betterauth_jwt.testing import TokenFactory

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "betterauth_jwt_before"


def import_revision(ref: str, directory: Path) -> ModuleType:
    """The package as it is at ``ref``, importable as ``betterauth_jwt_before`` (it uses only relative imports)."""
    archive = directory / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", ref, "src/betterauth_jwt"], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(directory, filter="data")
    shutil.move(directory / "src" / "betterauth_jwt", directory / BEFORE)
    sys.path.insert(0, str(directory))
    return importlib.import_module(BEFORE)


def _datetime_memo(package: ModuleType) -> dict[Any, Any]:
    """The memo of datetimes shared by identities of the same second, wherever this revision keeps it (or a dummy)."""
    for name in ("_kinds.identity", "_identity"):
        try:
            memo = getattr(importlib.import_module(f"{package.__name__}.{name}"), "_moments", None)
        except ImportError:
            continue
        if isinstance(memo, dict):
            return memo
    return {}


def compare(before: ModuleType, after: ModuleType, alg: str, rounds: int, batch: int, fill: int) -> dict[str, Any]:
    factory = TokenFactory(alg, issuer=ISSUER, audience=AUDIENCE)
    verifiers = {}
    for tag, package in (("before", before), ("after", after)):
        keys = package.SharedSecret(factory.secret) if factory.secret is not None else package.StaticJWKS(factory.jwks)
        verifiers[f"{tag}, cache_size=0"] = package.Verifier(keys, issuer=ISSUER, audience=AUDIENCE, cache_size=0)
        verifiers[f"{tag}, full cache"] = package.Verifier(keys, issuer=ISSUER, audience=AUDIENCE)
    for token in [factory.access_token(f"fill{i}", expires_in=3600) for i in range(fill)]:
        for name, verifier in verifiers.items():
            if name.endswith("full cache"):
                verifier.verify(token)
    hit = factory.access_token("hit", expires_in=3600)
    for verifier in verifiers.values():
        verifier.verify(hit)
    moments = [_datetime_memo(package) for package in (before, after)]
    samples: dict[str, list[float]] = {name: [] for name in [*verifiers, "before, cache hit", "after, cache hit"]}
    names = list(verifiers)
    clock = time.process_time_ns
    for round_ in range(rounds):
        tokens = [factory.access_token(f"r{round_}u{i}", expires_in=3600) for i in range(batch)]
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            for memo in moments:
                memo.clear()  # identities issued in the same second share datetimes: each row pays for its own
            verify = verifiers[name].verify
            gc.collect()
            gc.disable()
            start = clock()
            for token in tokens:
                verify(token)
            samples[name].append((clock() - start) / batch / 1000)
            gc.enable()
        for tag in ("before", "after") if round_ % 2 else ("after", "before"):
            verify = verifiers[f"{tag}, full cache"].verify
            start = clock()
            for _ in range(20 * batch):
                verify(hit)
            samples[f"{tag}, cache hit"].append((clock() - start) / (20 * batch) / 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="main", help="the git revision to compare with (default: main)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS), choices=ALGORITHMS)
    parser.add_argument("--smoke", action="store_true", help="tiny counts (checks it runs; times nothing)")
    parser.add_argument("--output", type=Path, default=None, help="directory for before_after.json (default: results/)")
    args = parser.parse_args(argv)
    fill = 10_000
    if args.smoke:
        args.rounds, args.batch, fill = 2, 3, 10
    import betterauth_jwt as after

    with tempfile.TemporaryDirectory() as directory:
        before = import_revision(args.ref, Path(directory))
        results = {alg: compare(before, after, alg, args.rounds, args.batch, fill) for alg in args.algorithms}
    rows = []
    for row_name in ("cache_size=0", "full cache", "cache hit"):
        row: list[object] = [row_name]
        for medians in results.values():
            row += [medians[f"before, {row_name}"], medians[f"after, {row_name}"]]
            row.append(round(medians[f"after, {row_name}"] / medians[f"before, {row_name}"], 3))
        rows.append(row)
    headers = ["row"]
    for alg in results:
        headers += [f"{alg} before µs", "after µs", "after/before"]
    print(f"Median CPU µs per verification, {args.ref} (before) against this checkout (after), same process.\n")
    print(table(headers, rows))
    path = write_json("before_after", {"smoke": args.smoke, "ref": args.ref, "median_us": results}, args.output)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
