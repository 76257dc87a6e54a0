"""Real Redis and PostgreSQL for the session-store tests: a ``redis-server`` on a free loopback port, and a fresh
database on the PostgreSQL server named by ``TEST_POSTGRES_URL``. Missing components skip locally and fail in CI
(``tests._support.unavailable``)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

from tests._support import unavailable


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away ``redis-server`` (no persistence) on a free 127.0.0.1 port; yields its ``redis://`` URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="bajwt-redis-") as directory:
        for _attempt in range(5):  # the port is free when probed; another process may take it before redis does
            port = _free_port()
            process = subprocess.Popen(
                [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", directory],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while process.poll() is None and time.monotonic() < deadline and not _answers_ping(port):
                time.sleep(0.05)
            if process.poll() is None and _answers_ping(port):
                break
            process.kill()
            process.wait()
        else:
            unavailable("redis-server did not start")
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database on ``TEST_POSTGRES_URL``'s server, dropped afterwards; yields its
    ``postgresql+psycopg://`` URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    raw = os.environ.get("TEST_POSTGRES_URL")
    if not raw:
        unavailable("TEST_POSTGRES_URL is not set (e.g. postgresql://bajwt:bajwt@127.0.0.1:5432/postgres)")
    server = make_url(raw).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
    except OperationalError as exc:
        admin.dispose()
        unavailable(f"cannot create a database on the PostgreSQL server at TEST_POSTGRES_URL: {exc.orig}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
