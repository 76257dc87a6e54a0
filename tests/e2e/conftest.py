"""The full stack for the browser tests: the Next.js + Better Auth front end (built once) and the todo API, started
the way ``scripts/demo.py`` starts them, on free 127.0.0.1 ports with fresh SQLite databases."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from scripts import demo

from tests._support import unavailable
from tests.interop.harness import node_available
from tests.interop.todo_server import TodoAPIServer, free_port

ROOT = demo.ROOT
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
BUILD_TIMEOUT = 900.0


@pytest.fixture(scope="session")
def frontend_build() -> None:
    """The front end's npm packages installed and a fresh production build in .next (built here if stale)."""
    if not node_available():
        unavailable("Node 20 and npm are needed to run the Next.js front end")
    if not (demo.FRONTEND_DIR / "node_modules" / "next").is_dir():
        try:
            result = subprocess.run(
                ["make", "node-deps"], cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            unavailable(f"`make node-deps` (npm ci) could not run: {exc}")
        if result.returncode != 0:
            unavailable(f"`make node-deps` (npm ci) failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    build = demo.ensure_build(os.environ, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert build is None or build.returncode == 0, (
        f"npm run build failed:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}"
    )


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM} (Debian package `chromium`)")
    if not (demo.FRONTEND_DIR / "node_modules" / "playwright-core").is_dir():
        unavailable("playwright-core is not installed in examples/nextjs_frontend (npm ci)")
    return CHROMIUM


@dataclass(frozen=True)
class RunningStack:
    config: demo.StackConfig
    web_log: Path
    api_log: Path

    def logs(self) -> str:
        """The end of both servers' logs, for a failure message."""
        parts = []
        for name, path in (("front end", self.web_log), ("todo API", self.api_log)):
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {name} log ({path}), last lines ---\n{text[-3000:]}")
        return "\n".join(parts)


@contextmanager
def full_stack(mode: str, workdir: Path, *, jwt_expiration: str | None = None) -> Iterator[RunningStack]:
    """Migrate, then start the front end (``next start``) and the todo API; stop both on exit."""
    config = demo.StackConfig(
        mode=mode,
        web_port=free_port(),
        api_port=free_port(),
        secret=secrets.token_urlsafe(32),
        data_dir=workdir,
        web_host="127.0.0.1",
        jwt_expiration=jwt_expiration,
    )
    stack = RunningStack(config, web_log=workdir / "web.log", api_log=workdir / "api.log")
    web_env = demo.child_env(demo.frontend_settings(config))
    migrate = demo.run_npm("migrate", web_env, capture_output=True, text=True, timeout=180)
    assert migrate.returncode == 0, f"npm run migrate failed:\n{migrate.stdout}\n{migrate.stderr}"
    with stack.web_log.open("w", encoding="utf-8") as sink:
        web = demo.Service(
            "web",
            demo.next_command(config),
            cwd=demo.FRONTEND_DIR,
            env=web_env,
            url=config.web_url,
            sink=sink,
        )
        web.start()
        try:
            try:
                web.wait_until_answering(90)
            except demo.ServiceError as exc:
                pytest.fail(f"{exc}\n{stack.logs()}")
            with TodoAPIServer(demo.api_settings(config), port=config.api_port, log_file=stack.api_log):
                yield stack
        finally:
            demo.stop_all([web], signal.SIGTERM, hurry=lambda: False)
