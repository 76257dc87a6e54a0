"""HTTP benchmark: requests/s of one app behind uvicorn, without auth and behind ``BetterAuthMiddleware``.

    python -m benchmarks.http_bench            # the full run (a few minutes); `make bench` runs it
    python -m benchmarks.http_bench --smoke    # 1-second runs: checks that every variant serves what it should

Each variant starts its own server, ``uvicorn benchmarks.http_app:app --loop uvloop --http httptools`` (one worker) on a
free 127.0.0.1 port, waits until it answers, loads it with ``wrk -t1 -c32 -d<N>s`` (loopback only, bounded in time),
reads wrk's requests/s and status counts, and stops the server. Variants run round-robin with a rotating start, for
``--rounds`` rounds, and the median is reported; ratios compare medians of the same run. With two or more CPUs the
server is pinned to CPU 0 and wrk to CPU 1 (``taskset``), so that neither steals the other's core.

Variants (EdDSA tokens, Better Auth's default algorithm):

- ``no auth``: the bare app, sent the same requests as ``repeated token`` (the header is there, nobody reads it), so
  that the ratio measures the middleware, not the extra bytes on the wire;
- ``repeated token``: one valid token on every request (what a Better Auth front end does for 15 minutes);
- ``unique tokens``: a different valid token on every request (a wrk Lua script rotates through a file of tokens; a
  fresh server starts with an empty cache, and the file holds more tokens than a run sends, or the result says so);
- ``garbage tokens``: a different malformed token on every request, each answered 401;
- ``PyJWT middleware, repeated token``: a minimal pure ASGI middleware calling ``jwt.decode``, for reference.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._contenders import Case
from benchmarks._report import table, write_json

ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "rotate_tokens.lua"
RATIO_TARGET = 0.9  # repeated valid token: at least this share of the no-auth requests/s


@dataclass(frozen=True)
class Variant:
    name: str
    auth: str  # BENCH_AUTH for http_app
    tokens: str | None  # None: no Authorization header; "repeated": one token via -H; otherwise a token file via Lua
    expect_status: int


NO_AUTH = Variant("no auth", "none", "repeated", 200)  # the same requests, token header included: the app ignores it
REPEATED = Variant("repeated token", "betterauth", "repeated", 200)
UNIQUE = Variant("unique tokens", "betterauth", "unique", 200)
GARBAGE = Variant("garbage tokens", "betterauth", "garbage", 401)
PYJWT = Variant("PyJWT middleware, repeated token", "pyjwt", "repeated", 200)
VARIANTS = (NO_AUTH, REPEATED, UNIQUE, GARBAGE, PYJWT)


def garbage_tokens(count: int, valid_header: str) -> list[str]:
    """Junk of a real token's size: random base64url "JWTs", dot-less strings, and a real header over a random payload."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    def junk(length: int) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(length))

    makers = (
        lambda: f"{junk(60)}.{junk(340)}.{junk(86)}",
        lambda: junk(480),
        lambda: f"{valid_header}.{junk(340)}.{junk(86)}",
    )
    return [makers[i % len(makers)]() for i in range(count)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pin(cpu: int, pin: bool, nice: int) -> list[str]:
    prefix = ["nice", "-n", str(nice)] if nice else []
    return [*prefix, "taskset", "-c", str(cpu)] if pin else prefix


def _wait_until_serving(port: int, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with status {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return
        except urllib.error.HTTPError:  # a 401 is an answer: the server is up
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("uvicorn did not answer in time")


def run_rounds(
    variants: Sequence[Any], rounds: int, run: Callable[[Any], dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Run every variant once a round, each round starting one variant further on (none always goes first, when the
    machine is coldest); print each result as it comes. Every HTTP benchmark measures this way."""
    samples: dict[str, list[dict[str, Any]]] = {variant.name: [] for variant in variants}
    for round_ in range(rounds):
        shift = round_ % len(variants)
        for variant in [*variants[shift:], *variants[:shift]]:
            result = run(variant)
            samples[variant.name].append(result)
            print(
                f"round {round_ + 1}/{rounds}  {variant.name:34s} {result['requests_per_s']:>10,.0f} req/s", flush=True
            )
    return samples


@contextlib.contextmanager
def running_server(command: list[str], *, port: int, env: dict[str, str], log: Path, label: str) -> Iterator[None]:
    """Run ``command`` (a server listening on ``port``) while the block runs: wait until it answers first, stop it
    after. A failure inside names ``label`` and ends with the server's log. Every HTTP benchmark serves this way."""
    with log.open("ab") as log_file:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(port, server)
            yield
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            raise RuntimeError(f"{label}: {exc}\n--- server log ---\n{log.read_text()[-4000:]}") from None
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


_WRK_PATTERNS = {
    "requests": re.compile(r"(\d+) requests in"),
    "requests_per_s": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "non_2xx": re.compile(r"Non-2xx or 3xx responses: (\d+)"),
    "socket_errors": re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"),
}


def parse_wrk(output: str) -> dict[str, float]:
    requests = _WRK_PATTERNS["requests"].search(output)
    rate = _WRK_PATTERNS["requests_per_s"].search(output)
    if requests is None or rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_2xx = _WRK_PATTERNS["non_2xx"].search(output)
    errors = _WRK_PATTERNS["socket_errors"].search(output)
    return {
        "requests": int(requests.group(1)),
        "requests_per_s": float(rate.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def run_variant(variant: Variant, files: dict[str, Path], args: argparse.Namespace, pin: bool) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "BENCH_AUTH": variant.auth, "BENCH_JWKS": str(files["jwks"]), "BENCH_FRAMEWORK": args.app}
    server_cmd = [
        *_pin(0, pin, args.nice),
        sys.executable, "-m", "uvicorn", "benchmarks.http_app:app",
        "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--workers", "1",
        "--lifespan", "off", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    wrk_cmd = [
        *_pin(1, pin, args.nice),
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "5s",
    ]
    url = f"http://127.0.0.1:{port}/"
    if variant.tokens == "repeated":
        wrk_cmd += ["-H", f"Authorization: Bearer {files['repeated'].read_text().strip()}", url]
    elif variant.tokens is not None:
        wrk_cmd += ["-s", str(LUA_SCRIPT), url, "--", str(files[variant.tokens])]
    else:
        wrk_cmd.append(url)
    log = files["jwks"].parent / "uvicorn.log"
    with running_server(server_cmd, port=port, env=env, log=log, label=variant.name):
        done = subprocess.run(wrk_cmd, capture_output=True, text=True, timeout=args.duration + 30, check=True)
    result = parse_wrk(done.stdout)
    expected_non_2xx = 0 if variant.expect_status == 200 else result["requests"]
    result["served_as_expected"] = result["non_2xx"] == expected_non_2xx and result["socket_errors"] == 0
    return result


def prepare_files(directory: Path, unique_count: int, garbage_count: int) -> dict[str, Path]:
    case = Case("EdDSA")
    files = {name: directory / f"{name}.txt" for name in ("repeated", "unique", "garbage")}
    files["jwks"] = directory / "jwks.json"
    files["jwks"].write_text(json.dumps(case.factory.jwks))
    files["repeated"].write_text(case.tokens(1, prefix="repeated")[0] + "\n")
    files["unique"].write_text("\n".join(case.tokens(unique_count)) + "\n")
    header = files["repeated"].read_text().split(".")[0]
    files["garbage"].write_text("\n".join(garbage_tokens(garbage_count, header)) + "\n")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=7, help="runs per variant (median reported)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--unique-tokens", type=int, default=None, help="tokens minted for the unique variant")
    parser.add_argument("--app", choices=("asgi", "starlette"), default="asgi", help="the app behind the middleware")
    parser.add_argument("--no-pin", action="store_true", help="do not pin uvicorn and wrk to separate CPUs")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run uvicorn and wrk at this niceness (e.g. -10, as root, on a busy machine)",
    )
    parser.add_argument("--smoke", action="store_true", help="1-second runs, one round (checks; times nothing)")
    parser.add_argument("--output", type=Path, default=None, help="directory for http.json (default: results/)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.rounds = 1, 1
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    # A run can hardly exceed 12,000 verifications of new EdDSA tokens a second on one core; mint enough for that.
    unique_count = args.unique_tokens or (500 if args.smoke else 12_000 * args.duration)

    with tempfile.TemporaryDirectory(prefix="betterauth-bench-") as tmp:
        print(f"minting {unique_count:,} EdDSA tokens...", flush=True)
        files = prepare_files(Path(tmp), unique_count, garbage_count=3_000)
        samples: dict[str, list[dict[str, Any]]] = {v.name: [] for v in VARIANTS}
        samples.update(run_rounds(VARIANTS, args.rounds, lambda variant: run_variant(variant, files, args, pin)))

    median = {name: statistics.median(r["requests_per_s"] for r in runs) for name, runs in samples.items()}
    base = median[NO_AUTH.name]
    correct = {name: all(r["served_as_expected"] for r in runs) for name, runs in samples.items()}
    repeats = max(r["requests"] for r in samples[UNIQUE.name]) - unique_count
    # With one server process, 1/rate is the time a request takes; the difference to "no auth" is what auth adds.
    rows = [
        [name, median[name], round(median[name] / base, 3), round(1e6 / median[name] - 1e6 / base, 1),
         "yes" if correct[name] else "NO"]
        for name in median
    ]  # fmt: skip
    print()
    print(f"uvicorn --loop uvloop --http httptools, 1 worker, {args.app} app; wrk -t1 -c{args.connections} "
          f"-d{args.duration}s, median of {args.rounds}; pinned: {pin}, nice: {args.nice}")  # fmt: skip
    print()
    print(table(["variant", "requests/s", "x no auth", "µs added per request", "answered as expected"], rows))
    if repeats > 0:
        print(f"\nnote: the unique-token runs sent up to {repeats:,} requests more than there were tokens (cache hits)")
    checks: list[tuple[str, str, bool]] = []
    if not args.smoke:
        ratio = median[REPEATED.name] / base
        checks.append((f"repeated token >= {RATIO_TARGET}x no auth", f"{ratio:.3f}x", ratio >= RATIO_TARGET))
        checks.append(
            (
                "rejecting garbage costs less than accepting a new valid token",
                f"{median[GARBAGE.name]:,.0f} vs {median[UNIQUE.name]:,.0f} req/s",
                median[GARBAGE.name] > median[UNIQUE.name],
            )
        )
        print()
        for target, measured, met in checks:
            print(f"{'met ' if met else 'MISS'}  {target}: {measured}")
    path = write_json(
        "http",
        {
            "smoke": args.smoke,
            "settings": {
                "duration_s": args.duration,
                "rounds": args.rounds,
                "connections": args.connections,
                "app": args.app,
                "pinned": pin,
                "nice": args.nice,
                "unique_tokens": unique_count,
            },
            "median_requests_per_s": median,
            "ratio_to_no_auth": {name: value / base for name, value in median.items()},
            "served_as_expected": correct,
            "runs": samples,
            "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in checks],
        },
        args.output,
    )
    print(f"\nwrote {path}")
    return 0 if all(correct.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
