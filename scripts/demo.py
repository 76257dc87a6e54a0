#!/usr/bin/env python3
"""The example stack with one command: Better Auth + Next.js on :3000, the FastAPI todo API on :8000 and the MCP todo
server on :8001.

    make demo                                   # .venv/bin/python scripts/demo.py --mode jwks
    make demo-secret                            # .venv/bin/python scripts/demo.py --mode secret
    .venv/bin/python scripts/demo.py --dev --web-port 3001 --api-port 8002 --mcp-port 8003 --data-dir demo-data

In order, it:

1. picks ``BETTER_AUTH_SECRET``: the environment's, else the one kept in the data folder, else a new random one;
2. runs ``npm run build`` in examples/nextjs_frontend when the production build is missing or older than its sources
   (not with ``--dev``, which serves the app with ``next dev`` instead);
3. runs ``npm run migrate`` for Better Auth's tables (the todo API creates its own table when it starts);
4. starts the front end, then the API and the MCP server (which fetch their keys from the front end), each in its
   own process group, their output copied here line by line behind ``[web]`` / ``[api]`` / ``[mcp]``; the MCP server
   only in JWKS mode (its OAuth access tokens are checked with the published keys; secret mode publishes none);
5. prints the URLs and waits. Ctrl-C or SIGTERM is passed on to all, and the script waits until they have stopped.

Exit status: 0 after Ctrl-C/SIGTERM, 1 when a server does not start or stops on its own, 2 for a bad set-up.

The API and the MCP server share one todo database; the front end has its own (SQLite files in the data folder: a temporary one, removed on exit, unless
``--data-dir`` names one to keep). Other front end settings in the environment, such as ``JWT_EXPIRATION_TIME``, are
passed on. Standard library only: this runs before anything beyond the virtual environment is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
FRONTEND_DIR = ROOT / "examples" / "nextjs_frontend"
API_DIR = ROOT / "examples" / "fastapi_todo"
MCP_DIR = ROOT / "examples" / "mcp_todo"

# What `next build` compiles; a production build older than any of these is stale. (`next dev` deletes
# .next/BUILD_ID, so a dev run also makes the next production start rebuild.)
BUILD_INPUTS = (
    "app",
    "components",
    "lib",
    "instrumentation.ts",
    "middleware.ts",
    "next.config.mjs",
    "tsconfig.json",
    "package.json",
    "package-lock.json",
)
SECRET_FILE = "better-auth-secret"
STARTUP_TIMEOUT = {"production": 60.0, "dev": 240.0}  # `next dev` compiles each page on its first request
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class StackConfig:
    """Everything the processes must agree on."""

    mode: str  # "jwks" or "secret"
    web_port: int
    api_port: int
    secret: str
    data_dir: Path
    # The browser's name for the front end. Its origin is the JWT `iss` and `aud`: the API must use the same one.
    web_host: str = "localhost"
    jwt_expiration: str | None = None  # e.g. "15s"; None keeps Better Auth's 15m (or the environment's value)
    mcp_port: int = 8001

    @property
    def starts_mcp(self) -> bool:
        """The MCP server verifies OAuth access tokens with Better Auth's published keys: JWKS mode only."""
        return self.mode == "jwks"

    @property
    def web_url(self) -> str:
        return f"http://{self.web_host}:{self.web_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def mcp_url(self) -> str:
        """The MCP endpoint, exactly as clients address it: the resource its access tokens are issued for."""
        return f"http://127.0.0.1:{self.mcp_port}/mcp"


def frontend_settings(config: StackConfig) -> dict[str, str]:
    """The Next.js app's variables (examples/nextjs_frontend/.env.example); its own SQLite file for Better Auth."""
    settings = {
        "BETTER_AUTH_SECRET": config.secret,
        "BETTER_AUTH_URL": config.web_url,
        "NEXT_PUBLIC_API_URL": config.api_url,
        "MCP_RESOURCE_URL": config.mcp_url,  # the OAuth provider issues access tokens for it
        "DATABASE_URL": str(config.data_dir / "auth.sqlite"),
        "AUTH_MODE": config.mode,
        "PORT": str(config.web_port),
        "BIND_HOST": "127.0.0.1",
        "AUTH_RATE_LIMIT": os.environ.get("AUTH_RATE_LIMIT") or "off",  # Better Auth allows 3 sign-ins per 10 s
        "NEXT_TELEMETRY_DISABLED": "1",
    }
    if config.jwt_expiration:
        settings["JWT_EXPIRATION_TIME"] = config.jwt_expiration
    return settings


def api_settings(config: StackConfig) -> dict[str, str]:
    """The todo API's variables (examples/fastapi_todo/README.md); an empty value means unset."""
    return {
        # JWKS mode: keys from {BETTER_AUTH_URL}/api/auth/jwks. Both modes: iss and aud are its origin.
        "BETTER_AUTH_URL": config.web_url,
        # Set, the API verifies HS256 with it instead of fetching keys: only in secret mode.
        "BETTER_AUTH_SECRET": config.secret if config.mode == "secret" else "",
        "DATABASE_URL": f"sqlite:///{config.data_dir / 'todo.db'}",
        "CORS_ORIGINS": ",".join(loopback_origins(config.web_port)),
        "HOST": "127.0.0.1",
        "PORT": str(config.api_port),
    }


def mcp_settings(config: StackConfig) -> dict[str, str]:
    """The MCP todo server's variables (examples/mcp_todo/README.md): the todo API's database, tokens from the front
    end's OAuth provider (``iss`` = its origin) for ``mcp_url``. It imports the todo API's package: PYTHONPATH."""
    python_path = os.pathsep.join(filter(None, [str(MCP_DIR), str(API_DIR), os.environ.get("PYTHONPATH")]))
    return {
        "BETTER_AUTH_URL": config.web_url,
        "MCP_RESOURCE_URL": config.mcp_url,
        "DATABASE_URL": api_settings(config)["DATABASE_URL"],
        "HOST": "127.0.0.1",
        "PORT": str(config.mcp_port),
        "PYTHONPATH": python_path,
    }


def loopback_origins(port: int) -> list[str]:
    # The front end trusts both spellings of a loopback address, so the API's CORS must allow both.
    return [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]


def child_env(settings: Mapping[str, str]) -> dict[str, str]:
    return {**os.environ, **settings}


# --- the front end's build and database ----------------------------------------------------------------------------


def _source_files() -> Iterator[Path]:
    for name in BUILD_INPUTS:
        path = FRONTEND_DIR / name
        if path.is_dir():
            yield from (item for item in path.rglob("*") if item.is_file())
        elif path.is_file():
            yield path


def build_is_fresh() -> bool:
    """True when .next holds a production build newer than every file it was built from."""
    try:
        built = (FRONTEND_DIR / ".next" / "BUILD_ID").stat().st_mtime
    except FileNotFoundError:
        return False
    return all(source.stat().st_mtime <= built for source in _source_files())


@contextlib.contextmanager
def build_lock() -> Iterator[None]:
    """One ``next build`` at a time in this checkout: the demo and test sessions may all find the build stale."""
    path = FRONTEND_DIR / "node_modules" / ".cache" / "betterauth-jwt-build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def ensure_build(env: Mapping[str, str], **kwargs: Any) -> subprocess.CompletedProcess[Any] | None:
    """``npm run build`` unless the build is fresh (checked again under the lock); None when nothing was built."""
    with build_lock():
        if build_is_fresh():
            return None
        return run_npm("build", env, **kwargs)


def npm_path() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError("npm is not on PATH: install Node 20 or newer (with npm)")
    return npm


def run_npm(script: str, env: Mapping[str, str], **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """``npm run <script>`` in the front end's folder (subprocess.run keyword arguments pass through)."""
    return subprocess.run(
        [npm_path(), "run", "--silent", script], cwd=FRONTEND_DIR, env=dict(env), check=False, **kwargs
    )


def next_command(config: StackConfig, *, dev: bool = False) -> list[str]:
    """``next start`` (or ``next dev``) itself, as ``npm start`` / ``npm run dev`` run it, minus npm and its shell:
    on SIGTERM those two exit at once, and the server would finish shutting down orphaned, unobserved."""
    next_bin = FRONTEND_DIR / "node_modules" / ".bin" / "next"
    return [str(next_bin), "dev" if dev else "start", "-H", "127.0.0.1", "-p", str(config.web_port)]


class SetupError(Exception):
    """Something the user has to fix before the demo can run; the message says what."""


# --- child processes ----------------------------------------------------------------------------------------------


class Service:
    """A server process in its own process group, its output copied line by line (``[name] ...``) to ``sink``.

    Its own group because Ctrl-C in a terminal signals the whole foreground group: this way only this script
    receives it and decides what to pass on; and signalling the group reaches the server's own children too.
    """

    def __init__(
        self, name: str, command: list[str], *, cwd: Path, env: Mapping[str, str], url: str, sink: IO[str] | None = None
    ) -> None:
        self.name = name
        self.command = command
        self.cwd = cwd
        self.env = dict(env)
        self.url = url
        self.sink = sink if sink is not None else sys.stdout
        self.process: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._pump = threading.Thread(target=self._copy_output, name=f"{self.name}-output", daemon=True)
        self._pump.start()

    def _copy_output(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.sink.write(f"[{self.name}] {raw.decode(errors='replace').rstrip()}\n")
            self.sink.flush()

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def answers(self) -> bool:
        """True once ``url`` gives any HTTP answer (redirects are not followed)."""
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(self.url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # a status code, even 3xx/4xx/5xx, means the server is up
        except (urllib.error.URLError, OSError):
            return False

    def wait_until_answering(self, timeout: float, give_up: Callable[[], bool] = lambda: False) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.returncode is not None:
                raise ServiceError(f"{self.name} exited with status {self.returncode} before answering {self.url}")
            if give_up():
                raise ServiceError(f"interrupted while waiting for {self.name}")
            if time.monotonic() > deadline:
                raise ServiceError(f"{self.name} did not answer {self.url} within {timeout:.0f} s")
            time.sleep(0.25)

    def signal(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.process.pid, signum)  # the group's id is the leader's pid (start_new_session)

    def wait(self, deadline: float) -> bool:
        """Wait for the process until ``deadline`` (time.monotonic); True if it ended."""
        assert self.process is not None
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        self._finish()
        return True

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()
            self._finish()

    def _finish(self) -> None:
        # The server's own children (`next dev` has some) must not outlive it.
        self.signal(signal.SIGKILL)
        if self._pump is not None:
            self._pump.join(timeout=5)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class ServiceError(Exception):
    """A server did not start, or stopped."""


def stop_all(services: list[Service], signum: int, *, timeout: float = STOP_TIMEOUT, hurry: Callable[[], bool]) -> None:
    """Pass ``signum`` to every service, wait for all of them, SIGKILL what is still running after ``timeout`` (or
    at once when ``hurry()`` turns true: a second Ctrl-C)."""
    for service in services:
        service.signal(signum)
    deadline = time.monotonic() + timeout
    for service in services:
        while not service.wait(min(deadline, time.monotonic() + 0.2)):
            if hurry() or time.monotonic() >= deadline:
                print(f"demo: {service.name} did not stop in time; killing it", flush=True)
                service.kill()
                break


class StopRequests:
    """Records SIGINT/SIGTERM instead of raising KeyboardInterrupt in the middle of something."""

    def __init__(self) -> None:
        self.signals: list[int] = []

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handler)
        signal.signal(signal.SIGTERM, self._handler)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.signals.append(signum)

    @property
    def first(self) -> int | None:
        return self.signals[0] if self.signals else None


# --- the demo --------------------------------------------------------------------------------------------------------


def choose_secret(data_dir: Path) -> str:
    """The environment's BETTER_AUTH_SECRET, else the one kept in ``data_dir``, else a new one kept there.

    Kept because Better Auth encrypts its private keys with it: a new secret cannot read an old database's keys.
    """
    from_env = os.environ.get("BETTER_AUTH_SECRET", "").strip()
    if from_env:
        print("demo: using BETTER_AUTH_SECRET from the environment")
        return from_env
    path = data_dir / SECRET_FILE
    if path.is_file():
        print(f"demo: using the BETTER_AUTH_SECRET kept in {path}")
        return path.read_text(encoding="utf-8").strip()
    secret = secrets.token_urlsafe(32)  # 32 random bytes, 43 characters
    path.touch(mode=0o600)
    path.write_text(secret + "\n", encoding="utf-8")
    print(f"demo: generated a random BETTER_AUTH_SECRET (kept in {path}; set BETTER_AUTH_SECRET to choose one)")
    return secret


def check_setup(args: argparse.Namespace) -> None:
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("betterauth_jwt") is None:
        raise SetupError(f"{sys.executable} lacks the todo API's packages: run `make demo` (it creates .venv)")
    if args.mode == "jwks" and importlib.util.find_spec("mcp") is None:
        raise SetupError(
            f"{sys.executable} lacks the `mcp` package for the MCP server: run `make demo` (pip install -e '.[dev]')"
        )
    npm_path()
    if not (FRONTEND_DIR / "node_modules" / "next").is_dir():
        raise SetupError("the front end's npm packages are missing: run `make node-deps` (npm ci) first")
    ports = (("--web-port", args.web_port), ("--api-port", args.api_port), ("--mcp-port", args.mcp_port))
    if args.mode != "jwks":
        ports = ports[:2]  # no MCP server in secret mode
    for name, port in ports:
        if port_in_use(port):
            raise SetupError(f"port {port} ({name}) is already in use: stop that server or choose another port")
    if len({port for _, port in ports}) < len(ports):
        raise SetupError(" and ".join(name for name, _ in ports) + " must all differ")


def port_in_use(port: int) -> bool:
    # Both loopback addresses: a browser may resolve "localhost" to either.
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(1)
                if sock.connect_ex((host, port)) == 0:
                    return True
        except OSError:
            continue  # no IPv6 here
    return False


def prepare_frontend(config: StackConfig, env: Mapping[str, str], *, dev: bool) -> None:
    if not dev and not build_is_fresh():
        print("demo: building the front end (npm run build, a minute or two)...", flush=True)
        build = ensure_build(env)
        if build is not None and build.returncode != 0:
            raise SetupError("npm run build failed (output above)")
    print(f"demo: preparing Better Auth's tables in {config.data_dir / 'auth.sqlite'} (npm run migrate)", flush=True)
    if run_npm("migrate", env).returncode != 0:
        raise SetupError("npm run migrate failed (output above)")


def describe(config: StackConfig, data_kept: bool) -> str:
    if config.mode == "jwks":
        how = f"EdDSA tokens, verified with the public keys at {config.web_url}/api/auth/jwks"
    else:
        how = "HS256 tokens signed by Better Auth's custom signer with the shared BETTER_AUTH_SECRET"
    data = f"{config.data_dir}" + ("" if data_kept else " (temporary, removed on exit; --data-dir keeps it)")
    if config.starts_mcp:
        mcp = f"  MCP server:    {config.mcp_url}   (streamable HTTP; sign in with your app account)"
    else:
        mcp = "  MCP server:    not started in secret mode (it checks OAuth tokens with the JWKS: use --mode jwks)"
    return "\n".join(
        [
            "",
            f"  Demo running, {config.mode} mode: {how}.",
            f"  Open the app:  {config.web_url}",
            f"  Todo API:      {config.api_url}   (Swagger UI: {config.api_url}/docs)",
            mcp,
            f"  Data:          {data}",
            "  Press Ctrl-C to stop them all.",
            "",
        ]
    )


def run(args: argparse.Namespace) -> int:
    check_setup(args)
    data_kept = args.data_dir is not None
    data_dir = Path(args.data_dir).resolve() if data_kept else Path(tempfile.mkdtemp(prefix="betterauth-jwt-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        config = StackConfig(
            mode=args.mode,
            web_port=args.web_port,
            api_port=args.api_port,
            secret=choose_secret(data_dir),
            data_dir=data_dir,
            mcp_port=args.mcp_port,
        )
        return run_stack(config, dev=args.dev, data_kept=data_kept)
    finally:
        if not data_kept:
            shutil.rmtree(data_dir, ignore_errors=True)


def run_stack(config: StackConfig, *, dev: bool, data_kept: bool) -> int:
    web_env = child_env(frontend_settings(config))
    prepare_frontend(config, web_env, dev=dev)

    stop = StopRequests()
    stop.install()
    web = Service("web", next_command(config, dev=dev), cwd=FRONTEND_DIR, env=web_env, url=config.web_url)
    api = Service(
        "api",
        [sys.executable, "-m", "todo_api"],
        cwd=API_DIR,
        env=child_env(api_settings(config)),
        url=f"{config.api_url}/health",
    )
    services = [web, api]
    if config.starts_mcp:
        services.append(
            Service(
                "mcp",
                [sys.executable, "-m", "mcp_todo"],
                cwd=MCP_DIR,
                env=child_env(mcp_settings(config)),
                # Any answer will do: without a token the MCP endpoint answers 401.
                url=config.mcp_url,
            )
        )
    started: list[Service] = []
    status = 0
    try:
        # The front end first: in JWKS mode the API and the MCP server fetch their keys from it when they start.
        for service in services:
            service.start()
            started.append(service)
            service.wait_until_answering(STARTUP_TIMEOUT["dev" if dev else "production"], lambda: bool(stop.signals))
        print(describe(config, data_kept), flush=True)
        while stop.first is None:
            for service in started:
                if service.returncode is not None:
                    raise ServiceError(f"{service.name} stopped on its own with status {service.returncode}")
            time.sleep(0.2)
        print(f"\ndemo: {signal.Signals(stop.first).name} received; stopping all servers...", flush=True)
    except ServiceError as exc:
        status = 0 if stop.first is not None else 1
        if status:
            print(f"demo: {exc}", file=sys.stderr, flush=True)
    finally:
        stop_all(started, stop.first or signal.SIGTERM, hurry=lambda: len(stop.signals) > 1)
    if status == 0:
        print("demo: all servers stopped", flush=True)
    return status


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("jwks", "secret"), default="jwks", help="how the API verifies tokens")
    parser.add_argument("--web-port", type=int, default=3000, help="Next.js + Better Auth (default 3000)")
    parser.add_argument("--api-port", type=int, default=8000, help="the todo API (default 8000)")
    parser.add_argument("--mcp-port", type=int, default=8001, help="the MCP todo server (default 8001; jwks mode)")
    parser.add_argument(
        "--dev", action="store_true", help="serve the front end with `next dev` (it replaces the build in .next)"
    )
    parser.add_argument("--data-dir", help="keep the SQLite databases (and a generated secret) in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except SetupError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C during the build or the migration
        print("\ndemo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
