"""Drive a real Better Auth server (``betterauth/server.mjs`` here) from Python.

Used by the interop tests and by ``scripts/record_fixtures.py``. Standard library plus
httpx only, and no pytest import, so a pytest fixture can wrap it in a few lines::

    with BetterAuthServer("eddsa") as server:
        session = sign_up(server.base_url, "alice@example.test", "a password", "Alice")
        jwt = session.token()

Configuration names (``CONFIGS``) are a contract with server.mjs.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import unquote

import httpx

NODE_PROJECT = Path(__file__).resolve().parent / "betterauth"
SERVER_SCRIPT = NODE_PROJECT / "server.mjs"

# Same value as server.mjs's default, passed explicitly so that Python is the source of
# truth. Test-only: it is public, never use it for anything real.
TEST_SECRET = "betterauth-jwt-interop-test-secret-do-not-use-0123456789"

CONFIGS: tuple[str, ...] = (
    "eddsa",
    "es256",
    "es512",
    "rs256",
    "ps256",
    "custom-claims",
    "rotation",
    "hs256",
    "cookie-jwt",
    "cookie-jwks",
)
# With session.cookieCache (strategy "jwt"), hence a better-auth.session_data cookie.
COOKIE_CACHE_CONFIGS = frozenset({"cookie-jwt", "cookie-jwks"})
# Whose access token or session_data cookie is HS256 with the shared secret.
SHARED_SECRET_CONFIGS = frozenset({"hs256", "cookie-jwt"})

API_PATH = "/api/auth"
SESSION_TOKEN_COOKIE = "better-auth.session_token"
SESSION_DATA_COOKIE = "better-auth.session_data"


class HarnessError(RuntimeError):
    """The Better Auth server, or a request to it, did not behave as expected."""


# --- Node side -----------------------------------------------------------------------


def node_available() -> bool:
    """True when ``node`` (>= 18, needed by Better Auth) and ``npm`` are on PATH."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        return False
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    major = out.stdout.strip().lstrip("v").split(".", 1)[0]
    return major.isdigit() and int(major) >= 18


def ensure_node_modules(timeout: float = 600.0, project: Path = NODE_PROJECT) -> None:
    """Install the Node project from its lockfile (``npm ci``) if not installed yet."""
    if (project / "node_modules" / "better-auth" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm is not on PATH; cannot install the Better Auth test server")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise HarnessError(f"npm ci failed in {project}:\n{result.stderr[-4000:]}")


def better_auth_version() -> str:
    """Version of the installed better-auth package (what the lockfile pinned)."""
    package_json = NODE_PROJECT / "node_modules" / "better-auth" / "package.json"
    version: str = json.loads(package_json.read_text(encoding="utf-8"))["version"]
    return version


class BetterAuthServer:
    """Run ``node server.mjs`` for one configuration on a free loopback port.

    The port is chosen by the OS (``PORT=0``) and read back from the server's
    ``READY <port>`` line, so there is no window in which another process can take it.
    Each start is a fresh in-memory database (new users, new signing keys).

    ``env`` adds variables for server.mjs, e.g. ``BA_EXPIRATION_TIME`` ("1h", or digits
    for an absolute ``exp``) and ``BA_ROTATION_INTERVAL`` (seconds, ``rotation`` only).
    """

    # Another Node project with a server.mjs speaking the same READY protocol (tests/interop/sessions) overrides these.
    project: Path = NODE_PROJECT
    configs: tuple[str, ...] = CONFIGS

    def __init__(
        self,
        config: str = "eddsa",
        *,
        env: Mapping[str, str] | None = None,
        secret: str = TEST_SECRET,
        startup_timeout: float = 30.0,
    ) -> None:
        if config not in self.configs:
            known = ", ".join(self.configs)
            raise ValueError(f"unknown Better Auth configuration {config!r}; known: {known}")
        self.config = config
        self.secret = secret
        self.startup_timeout = startup_timeout
        self._extra_env = dict(env or {})
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._port: int | None = None
        self._reader: threading.Thread | None = None

    # Addresses ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise HarnessError("the server is not running")
        return self._port

    @property
    def base_url(self) -> str:
        """The server's baseURL, also the default ``iss`` and ``aud`` of its JWTs."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PATH

    @property
    def jwks_url(self) -> str:
        return self.api_url + "/jwks"

    # Lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self._process is not None:
            raise HarnessError("the server is already running")
        node = shutil.which("node")
        if node is None:
            raise HarnessError("node is not on PATH")
        ensure_node_modules(project=self.project)
        # Extra env first: configuration, port and secret are this object's to decide.
        env = {
            **os.environ,
            "BETTER_AUTH_TELEMETRY": "0",
            **self._extra_env,
            "BA_CONFIG": self.config,
            "PORT": "0",
            "BETTER_AUTH_SECRET": self.secret,
        }
        # stderr goes to a file, not a pipe: nobody reads it while the server runs,
        # and a full pipe would block Better Auth's logging. Closed in stop().
        stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._stderr = stderr
        self._process = subprocess.Popen(
            [node, str(self.project / "server.mjs")],
            cwd=self.project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            self._port = self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> int:
        assert self._process is not None
        assert self._process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = self._process.stdout

        # A reader thread, because readline() on a pipe cannot time out. It keeps
        # draining stdout for the server's lifetime so the pipe never fills.
        def pump() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        self._reader = threading.Thread(target=pump, name=f"better-auth-{self.config}-stdout", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HarnessError(
                    f"Better Auth server ({self.config}) not ready after"
                    f" {self.startup_timeout:.0f}s; stderr:\n{self.stderr_text()}"
                )
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self._process.wait()
                raise HarnessError(
                    f"Better Auth server ({self.config}) exited with code {code}"
                    f" before READY; stderr:\n{self.stderr_text()}"
                )
            parts = line.split()
            if len(parts) == 2 and parts[0] == "READY" and parts[1].isdigit():
                return int(parts[1])

    def stderr_text(self) -> str:
        """The server's stderr so far (Better Auth's logs), for error messages."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()
        self._stderr.seek(0, os.SEEK_END)
        return text[-8000:]

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the server process; SIGKILL it if still alive after ``timeout``."""
        process, self._process = self._process, None
        self._port = None
        if process is not None:
            if process.poll() is None:
                process.terminate()  # SIGTERM to this process id only
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=timeout)
            # Let the reader thread see EOF before closing its file under it.
            if self._reader is not None:
                self._reader.join(timeout)
                self._reader = None
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- HTTP client side ----------------------------------------------------------------


def _client(base_url: str) -> httpx.Client:
    # Better Auth answers 403 MISSING_OR_NULL_ORIGIN to sign-up/sign-in without Origin.
    return httpx.Client(base_url=base_url + API_PATH, headers={"Origin": base_url}, timeout=10.0)


def _check(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code != 200:
        raise HarnessError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    return response


class Session:
    """A signed-in Better Auth user: an httpx client holding the session cookies."""

    def __init__(self, base_url: str, client: httpx.Client, response: httpx.Response) -> None:
        self.base_url = base_url
        self.client = client
        body = response.json()
        self.user: dict[str, Any] = body.get("user", {})
        # Bearer plugin token from sign-up/sign-in: "<session token>.<base64 HMAC>".
        self._bearer_token: str | None = response.headers.get("set-auth-token")

    def token(self) -> str:
        """A JWT-plugin access token from ``GET /api/auth/token``."""
        response = _check(self.client.get("/token"), "GET /token")
        token: str = response.json()["token"]
        return token

    def get_session(self) -> tuple[dict[str, Any] | None, str | None, dict[str, str]]:
        """``GET /api/auth/get-session`` → (JSON body, set-auth-jwt header, cookies).

        The cookies are the jar's state after the call (URL-decoded values), i.e. what a
        browser would hold.
        """
        response = _check(self.client.get("/get-session"), "GET /get-session")
        return response.json(), response.headers.get("set-auth-jwt"), self.cookies()

    def cookies(self) -> dict[str, str]:
        """All cookies currently in the jar, name → URL-decoded value."""
        return {cookie.name: unquote(cookie.value or "") for cookie in self.client.cookies.jar}

    def session_token(self) -> str | None:
        """The ``better-auth.session_token`` cookie, URL-decoded: ``<token>.<HMAC>``."""
        return self.cookies().get(SESSION_TOKEN_COOKIE)

    def session_data_cookie(self) -> str | None:
        """The ``better-auth.session_data`` cookie, joining ``.0``, ``.1``... chunks."""
        cookies = self.cookies()
        if SESSION_DATA_COOKIE in cookies:
            return cookies[SESSION_DATA_COOKIE]
        prefix = SESSION_DATA_COOKIE + "."
        chunks = {
            int(name[len(prefix) :]): value
            for name, value in cookies.items()
            if name.startswith(prefix) and name[len(prefix) :].isdigit()
        }
        if not chunks:
            return None
        return "".join(chunks[index] for index in sorted(chunks))

    def bearer_token(self) -> str | None:
        """The bearer plugin's ``set-auth-token`` from sign-up/sign-in (not a JWT)."""
        return self._bearer_token

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def sign_up(base_url: str, email: str, password: str, name: str, **fields: Any) -> Session:
    """Create a user (``POST /api/auth/sign-up/email``); the session is signed in."""
    client = _client(base_url)
    try:
        body = {"email": email, "password": password, "name": name, **fields}
        response = _check(client.post("/sign-up/email", json=body), "sign-up")
    except BaseException:
        client.close()
        raise
    return Session(base_url, client, response)


def sign_in(base_url: str, email: str, password: str) -> Session:
    """Sign an existing user in (``POST /api/auth/sign-in/email``): a new session."""
    client = _client(base_url)
    try:
        body = {"email": email, "password": password}
        response = _check(client.post("/sign-in/email", json=body), "sign-in")
    except BaseException:
        client.close()
        raise
    return Session(base_url, client, response)


def fetch_jwks(base_url: str) -> dict[str, Any] | None:
    """The ``/api/auth/jwks`` body, or None on 404 (as with ``jwks.remoteUrl``)."""
    with _client(base_url) as client:
        response = client.get("/jwks")
    if response.status_code == 404:
        return None
    jwks: dict[str, Any] = _check(response, "GET /jwks").json()
    return jwks
