"""The session stores' libraries are optional: ``import betterauth_jwt`` never loads them, and a store built without
them says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)


def test_importing_the_package_loads_no_store_library() -> None:
    result = run(
        "import sys, betterauth_jwt; "
        "print(','.join(m for m in ('sqlalchemy', 'redis', 'aiosqlite', 'psycopg') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("blocked", "build"),
    [("sqlalchemy", "SqlSessionStore('sqlite:///x.db')"), ("redis", "RedisSessionStore('redis://localhost')")],
)
def test_a_missing_library_names_the_extra(blocked: str, build: str) -> None:
    code = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "from betterauth_jwt import ConfigurationError, SqlSessionStore, RedisSessionStore\n"
        f"try:\n    {build}\nexcept ConfigurationError as error:\n    print(error)\n"
    )
    result = run(code)
    assert result.returncode == 0, result.stderr
    assert "betterauth-jwt[sessions]" in result.stdout
    assert blocked in result.stdout
