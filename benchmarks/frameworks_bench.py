"""Framework benchmark: requests/s of a Flask, Django (WSGI and ASGI) and Litestar app, each without auth and behind
this package's adapter with one repeated valid token (the target: at least 0.9x the same app without auth).

    python -m benchmarks.frameworks_bench            # the full run (a few minutes)
    python -m benchmarks.frameworks_bench --smoke    # 1-second runs: checks that every variant serves what it should

Each run starts one server on a free 127.0.0.1 port and loads it with ``wrk -t1 -c<N> -d<S>s`` (as ``http_bench``
does, and pinned the same way): gunicorn with one ``gthread`` worker (8 threads) for the WSGI apps, uvicorn (uvloop,
httptools, one worker) for the ASGI ones. Both variants send the same request, token header included; without auth
nobody reads it. Variants alternate within each round and the median of the rounds is reported.

This module is also the served application: ``benchmarks.frameworks_bench:app`` builds the app that ``BENCH_FRAMEWORK``
(``flask``, ``django``, ``litestar``) and ``BENCH_AUTH`` (``none``, ``betterauth``) name, with a ``StaticJWKS``
verifier over the key set in ``BENCH_JWKS``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._contenders import AUDIENCE, ISSUER
from benchmarks._report import table, write_json
from benchmarks.http_bench import ROOT, _free_port, _pin, parse_wrk, prepare_files, running_server

RATIO_TARGET = 0.9
BODY = {"hello": "world"}


@dataclass(frozen=True)
class Setup:
    name: str
    framework: str
    server: str  # "gunicorn" (WSGI) or "uvicorn" (ASGI)
    target: str  # the app object: "app" (WSGI or ASGI, per framework) or "asgi" (Django's ASGI handler)


SETUPS = (
    Setup("flask (gunicorn gthread)", "flask", "gunicorn", "app"),
    Setup("django (gunicorn gthread)", "django", "gunicorn", "app"),
    Setup("django (uvicorn, ASGI)", "django", "uvicorn", "asgi"),
    Setup("litestar (uvicorn)", "litestar", "uvicorn", "app"),
)
AUTH_MODES = ("none", "betterauth")


# -- the served applications ------------------------------------------------------------------------------------------


def _verifier() -> Any:
    from betterauth_jwt import StaticJWKS, Verifier

    return Verifier(
        StaticJWKS(json.loads(Path(os.environ["BENCH_JWKS"]).read_text())), issuer=ISSUER, audience=AUDIENCE
    )


def _flask_app(auth: bool) -> Any:
    from flask import Flask

    from betterauth_jwt.flask import BetterAuth

    app = Flask(__name__)

    def hello() -> dict[str, str]:
        return BODY

    view = BetterAuth(app, verifier=_verifier()).required(hello) if auth else hello
    app.add_url_rule("/", view_func=view)
    return app


def _django_app(auth: bool, interface: str) -> Any:
    import django
    from django.conf import settings
    from django.http import JsonResponse
    from django.urls import path

    def hello(request: Any) -> JsonResponse:
        return JsonResponse(BODY)

    if auth:
        from betterauth_jwt.django import auth_required

        hello = auth_required(hello)
    settings.configure(
        DEBUG=False, SECRET_KEY="bench-" + "x" * 40, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__,
        MIDDLEWARE=["betterauth_jwt.django.BetterAuthMiddleware"] if auth else [],
        BETTERAUTH_JWT={"VERIFIER": f"{__name__}._VERIFIER"},
    )  # fmt: skip
    global urlpatterns, _VERIFIER
    urlpatterns = [path("", hello)]
    _VERIFIER = _verifier() if auth else None
    django.setup()
    if interface == "asgi":
        from django.core.asgi import get_asgi_application

        return get_asgi_application()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _litestar_app(auth: bool) -> Any:
    from litestar import Litestar, get

    from betterauth_jwt.litestar import BetterAuth

    @get("/", sync_to_thread=False)
    def hello() -> dict[str, str]:
        return BODY

    hooks = [BetterAuth(_verifier()).on_app_init] if auth else []
    return Litestar([hello], on_app_init=hooks, openapi_config=None)


def build(target: str) -> Any:
    framework, auth = os.environ["BENCH_FRAMEWORK"], os.environ.get("BENCH_AUTH") == "betterauth"
    if framework == "flask":
        return _flask_app(auth)
    if framework == "django":
        return _django_app(auth, "asgi" if target == "asgi" else "wsgi")
    return _litestar_app(auth)


def __getattr__(name: str) -> Any:  # gunicorn/uvicorn "benchmarks.frameworks_bench:app" (or ":asgi")
    if name in ("app", "asgi"):
        value = build(name)
        globals()[name] = value
        return value
    raise AttributeError(name)


# -- in-process timing (no server, no wrk): the per-request cost itself, best of several batches ----------------------


def time_direct(target: str, requests: int, batches: int) -> float:
    """CPU microseconds per request of the app that the environment names, called directly (WSGI or ASGI) with the
    token header, best of ``batches``: process time, not wall time, so that other processes on a busy machine do not
    count (with one worker, requests/s is bounded by exactly this)."""
    app = build(target)
    token = f"Bearer {os.environ['BENCH_TOKEN']}"
    best = float("inf")
    if os.environ["BENCH_FRAMEWORK"] != "litestar" and target != "asgi":
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "bench", "SERVER_PORT": "80",
                   "wsgi.url_scheme": "http", "HTTP_AUTHORIZATION": token, "HTTP_HOST": "bench"}  # fmt: skip

        def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
            assert status.startswith("200"), status

        for _ in range(batches):
            began = time.process_time()
            for _ in range(requests):
                body = app({**environ, "wsgi.input": io.BytesIO()}, start_response)
                b"".join(body)
                getattr(body, "close", lambda: None)()
            best = min(best, time.process_time() - began)
        return best / requests * 1e6
    import asyncio

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/", "raw_path": b"/", "root_path": "", "query_string": b"", "server": ("bench", 80),
             "client": ("127.0.0.1", 1), "headers": [(b"host", b"bench"), (b"authorization", token.encode())]}  # fmt: skip

    def receiver() -> Any:
        messages = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # the client never disconnects (Django listens for it)
            raise AssertionError("unreachable")

        return receive

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    async def batch() -> float:
        began = time.process_time()
        for _ in range(requests):
            await app(dict(scope), receiver(), send)
        return time.process_time() - began

    async def main() -> float:
        return min([await batch() for _ in range(batches)])

    return asyncio.run(main()) / requests * 1e6


def run_direct(setup: Setup, auth: str, files: dict[str, Path], requests: int) -> float:
    env = {**os.environ, "BENCH_FRAMEWORK": setup.framework, "BENCH_AUTH": auth, "BENCH_JWKS": str(files["jwks"]),
           "BENCH_TOKEN": files["repeated"].read_text().strip()}  # fmt: skip
    code = f"from benchmarks.frameworks_bench import time_direct; print(time_direct({setup.target!r}, {requests}, 5))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{setup.name} {auth}: {done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


# -- the benchmark ----------------------------------------------------------------------------------------------------


def run(setup: Setup, auth: str, files: dict[str, Path], args: argparse.Namespace, pin: bool) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "BENCH_FRAMEWORK": setup.framework, "BENCH_AUTH": auth, "BENCH_JWKS": str(files["jwks"])}
    spec = f"benchmarks.frameworks_bench:{setup.target}"
    if setup.server == "gunicorn":
        server_cmd = [sys.executable, "-m", "gunicorn", spec, "--bind", f"127.0.0.1:{port}", "--workers", "1",
                      "--worker-class", "gthread", "--threads", "8", "--log-level", "warning"]  # fmt: skip
    else:
        server_cmd = [sys.executable, "-m", "uvicorn", spec, "--host", "127.0.0.1", "--port", str(port),
                      "--loop", "uvloop", "--http", "httptools", "--lifespan", "off", "--no-access-log",
                      "--log-level", "warning"]  # fmt: skip
    token = files["repeated"].read_text().strip()
    wrk_cmd = [*_pin(1, pin, args.nice), "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s",
               "--timeout", "5s", "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}/"]  # fmt: skip
    log = files["jwks"].parent / "server.log"
    command = [*_pin(0, pin, args.nice), *server_cmd]
    with running_server(command, port=port, env=env, log=log, label=f"{setup.name} {auth}"):
        done = subprocess.run(wrk_cmd, capture_output=True, text=True, timeout=args.duration + 30, check=True)
    result = parse_wrk(done.stdout)
    result["served_as_expected"] = result["non_2xx"] == 0 and result["socket_errors"] == 0
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="runs per variant (median reported)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", choices=sorted({s.framework for s in SETUPS}), default=None)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server and wrk to separate CPUs")
    parser.add_argument("--nice", type=int, default=0, help="run the server and wrk at this niceness")
    parser.add_argument("--direct-requests", type=int, default=2000, help="requests per in-process timing batch")
    parser.add_argument("--smoke", action="store_true", help="1-second runs, one round (checks; times nothing)")
    parser.add_argument("--output", type=Path, default=None, help="directory for frameworks.json (default: results/)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.rounds, args.direct_requests = 1, 1, 100
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    setups = [s for s in SETUPS if args.only in (None, s.framework)]
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {s.name: {a: [] for a in AUTH_MODES} for s in setups}
    direct: dict[str, dict[str, list[float]]] = {s.name: {a: [] for a in AUTH_MODES} for s in setups}
    with tempfile.TemporaryDirectory(prefix="betterauth-frameworks-bench-") as tmp:
        files = prepare_files(Path(tmp), unique_count=1, garbage_count=1)
        for round_ in range(args.rounds):
            for setup in setups:
                for auth in AUTH_MODES if round_ % 2 == 0 else AUTH_MODES[::-1]:
                    result = run(setup, auth, files, args, pin)
                    samples[setup.name][auth].append(result)
                    direct[setup.name][auth].append(run_direct(setup, auth, files, args.direct_requests))
                    print(f"round {round_ + 1}/{args.rounds}  {setup.name:28s} {auth:10s} "
                          f"{result['requests_per_s']:>10,.0f} req/s", flush=True)  # fmt: skip
    median = {name: {a: statistics.median(r["requests_per_s"] for r in runs) for a, runs in by_auth.items()}
              for name, by_auth in samples.items()}  # fmt: skip
    ratios = {name: rates["betterauth"] / rates["none"] for name, rates in median.items()}
    correct = {name: all(r["served_as_expected"] for runs in by_auth.values() for r in runs)
               for name, by_auth in samples.items()}  # fmt: skip
    rows = [[name, rates["none"], rates["betterauth"], round(ratios[name], 3), "yes" if correct[name] else "NO"]
            for name, rates in median.items()]  # fmt: skip
    print(f"\nwrk -t1 -c{args.connections} -d{args.duration}s, median of {args.rounds}; pinned: {pin}\n")
    print(table(["app", "no auth req/s", "repeated token req/s", "x no auth", "answered as expected"], rows))
    # In-process: the app called directly, CPU time of the best batch of all rounds; on a busy machine the steadier.
    best = {name: {a: min(times) for a, times in by_auth.items()} for name, by_auth in direct.items()}
    direct_ratios = {name: us["none"] / us["betterauth"] for name, us in best.items()}
    print(f"\nin process, CPU time, {args.direct_requests} requests a batch, best batch:\n")
    print(table(["app", "no auth µs/request", "repeated token µs/request", "x no auth"],
                [[name, round(us["none"], 1), round(us["betterauth"], 1), round(direct_ratios[name], 3)]
                 for name, us in best.items()]))  # fmt: skip
    targets = []
    if not args.smoke:
        targets = [{"target": f"{name}: repeated token >= {RATIO_TARGET}x no auth", "measured": f"{ratio:.3f}x",
                    "met": ratio >= RATIO_TARGET} for name, ratio in ratios.items()]  # fmt: skip
        print()
        for target in targets:
            print(f"{'met ' if target['met'] else 'MISS'}  {target['target']}: {target['measured']}")
    path = write_json(
        "frameworks",
        {
            "smoke": args.smoke,
            "settings": {
                "duration_s": args.duration,
                "rounds": args.rounds,
                "connections": args.connections,
                "pinned": pin,
                "nice": args.nice,
            },
            "median_requests_per_s": median,
            "ratio_to_no_auth": ratios,
            "direct_us_per_request": best,
            "direct_ratio_to_no_auth": direct_ratios,
            "served_as_expected": correct,
            "runs": samples,
            "targets": targets,
        },
        args.output,
    )
    print(f"\nwrote {path}")
    return 0 if all(correct.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
