"""Memory of the verified-token cache: the process's RSS before and after caching 100,000 distinct tokens.

    python -m benchmarks.memory                # 100,000 EdDSA tokens (minting them takes a few seconds)
    python -m benchmarks.memory --smoke        # 1,000 tokens

Each token is minted, verified (so cached) and dropped by the benchmark, as a request's token would be: the cache holds
the only reference to the token string, which therefore counts. RSS is read from /proc/self/status after a full
garbage collection; ``tracemalloc`` is not used, as it would slow the loop down and add its own memory.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from benchmarks._contenders import AUDIENCE, ISSUER, Case
from benchmarks._report import table, write_json
from betterauth_jwt import StaticJWKS, Verifier


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="1,000 tokens")
    parser.add_argument("--output", type=Path, default=None, help="directory for memory.json (default: results/)")
    args = parser.parse_args(argv)
    count = 1_000 if args.smoke else args.tokens

    case = Case("EdDSA")
    verifier = Verifier(StaticJWKS(case.factory.jwks), issuer=ISSUER, audience=AUDIENCE, cache_size=count)
    verifier.verify(case.tokens(1, prefix="warm-up")[0])  # imports, lazily built tables: not the cache's memory
    verifier.clear_cache()
    gc.collect()
    before = rss_bytes()
    for i in range(count):
        # Each issued in its own second, so that no two identities share a datetime: the most memory per token.
        verifier.verify(case.tokens(1, prefix=f"user_{i}", distinct_seconds=True)[0])
    gc.collect()
    after = rss_bytes()
    cached = len(verifier._cache)
    if cached != count:
        print(f"expected {count} cached tokens, found {cached}", file=sys.stderr)
        return 1
    token_length = len(case.tokens(1)[0])
    per_entry = (after - before) / count
    print(
        table(
            ["cached tokens", "token length", "RSS before (MiB)", "RSS after (MiB)", "growth (MiB)", "bytes per token"],
            [[count, token_length, before / 2**20, after / 2**20, (after - before) / 2**20, round(per_entry)]],
        )
    )
    path = write_json(
        "memory",
        {
            "smoke": args.smoke,
            "algorithm": "EdDSA",
            "cached_tokens": count,
            "token_length": token_length,
            "rss_before_bytes": before,
            "rss_after_bytes": after,
            "bytes_per_cached_token": per_entry,
        },
        args.output,
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
