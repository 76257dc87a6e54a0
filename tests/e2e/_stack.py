"""Start the full stack the way ``scripts/demo.py`` does, for the browser tests: the Next.js + Better Auth front end
(``next start`` on the existing build), the todo API and (``mcp=True``) the MCP todo server, on free 127.0.0.1 ports
with fresh SQLite databases."""

from __future__ import annotations

import secrets
import signal
import sys
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
    mcp_log: Path | None = None

    def logs(self) -> str:
        """The end of the servers' logs, for a failure message."""
        parts = []
        logs = [("front end", self.web_log), ("todo API", self.api_log)]
        if self.mcp_log is not None:
            logs.append(("MCP server", self.mcp_log))
        for name, path in logs:
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {name} log ({path}), last lines ---\n{text[-3000:]}")
        return "\n".join(parts)


@contextmanager
def full_stack(
    mode: str, workdir: Path, *, jwt_expiration: str | None = None, mcp: str | None = None
) -> Iterator[RunningStack]:
    """Migrate, then start the front end (``next start``), the todo API and, with ``mcp`` (``"mcp"`` or ``"fastmcp"``),
    the MCP todo server (``python -m mcp_todo [--fastmcp]``, like the demo); stop them all on exit."""
    config = demo.StackConfig(
        mode=mode,
        web_port=free_port(),
        api_port=free_port(),
        secret=secrets.token_urlsafe(32),
        data_dir=workdir,
        web_host="127.0.0.1",
        jwt_expiration=jwt_expiration,
        mcp_port=free_port(),
    )
    stack = RunningStack(
        config, web_log=workdir / "web.log", api_log=workdir / "api.log", mcp_log=workdir / "mcp.log" if mcp else None
    )
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
                if not mcp:
                    yield stack
                    return
                with mcp_server(stack, fastmcp=mcp == "fastmcp"):
                    yield stack
        finally:
            demo.stop_all([web], signal.SIGTERM, hurry=lambda: False)


@contextmanager
def mcp_server(stack: RunningStack, *, fastmcp: bool = False) -> Iterator[None]:
    """``python -m mcp_todo`` with the demo's settings (the todo API's database, tokens from the front end)."""
    assert stack.mcp_log is not None
    with stack.mcp_log.open("w", encoding="utf-8") as sink:
        server = demo.Service(
            "mcp",
            [sys.executable, "-m", "mcp_todo", *(["--fastmcp"] if fastmcp else [])],
            cwd=demo.MCP_DIR,
            env=demo.child_env(demo.mcp_settings(stack.config)),
            url=stack.config.mcp_url,
            sink=sink,
        )
        server.start()
        try:
            try:
                server.wait_until_answering(30)
            except demo.ServiceError as exc:
                pytest.fail(f"{exc}\n{stack.logs()}")
            yield
        finally:
            demo.stop_all([server], signal.SIGTERM, hurry=lambda: False)
