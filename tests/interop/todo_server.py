"""Run the example todo API (``python -m todo_api``) as a real server process, the way the demo starts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "fastapi_todo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class TodoAPIServer:
    """``python -m todo_api`` on 127.0.0.1; ``env`` holds BETTER_AUTH_URL / BETTER_AUTH_SECRET etc.

    ``port``: a free one unless given (a caller that must tell others the URL before starting picks it).
    ``log_file``: where the server's stderr (its log) goes, for a test to show on failure; else a pipe.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        startup_timeout: float = 30.0,
        port: int | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.port = free_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self._startup_timeout = startup_timeout
        self._log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = None if self._log_file is None else self._log_file.open("ab")
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "todo_api"],
                cwd=EXAMPLE_DIR,
                env=self._env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE if log is None else log,
            )
        finally:
            if log is not None:
                log.close()  # the child has its own copy
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"todo_api exited with {self._process.returncode}: {self._stderr_tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code in (200, 503):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("todo_api did not answer /health in time")

    def _stderr_tail(self) -> str:
        if self._log_file is not None:
            return self._log_file.read_text(errors="replace")[-2000:]
        stream = self._process.stderr if self._process else None
        return stream.read().decode(errors="replace")[-2000:] if stream else ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
