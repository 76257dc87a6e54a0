"""Start the full stack the way ``scripts/demo.py`` does, for the browser tests: the Next.js + Better Auth front end
(``next start`` on the existing build) and the todo API, on free 127.0.0.1 ports with fresh SQLite databases."""

from __future__ import annotations

import secrets
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from scripts import demo

from tests.interop.todo_server import TodoAPIServer, free_port

ARTIFACTS = demo.ROOT / "test-artifacts" / "e2e"


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
