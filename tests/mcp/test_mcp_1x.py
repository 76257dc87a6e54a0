"""The ``mcp`` 1.x line (``mcp.server.fastmcp.FastMCP``, httpx) cannot share an environment with 2.x (the same
distribution name; 2.x moved to httpx2): this test builds a second virtual environment, ``.venv-mcp1`` beside the
main one, with the last 1.x release, and runs this folder's tests there (the fastmcp ones skip: fastmcp needs 2.x).
The environment is kept and rebuilt only when ``MCP_1X`` changes, so a second run costs only the tests."""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

from tests.mcp.servers import mcp_major

pytestmark = [pytest.mark.interop, pytest.mark.slow]

MCP_1X = "mcp==1.30.*"
ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-mcp1"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / "betterauth-jwt-requirements.txt"
REQUIREMENTS = ("-e", str(ROOT), MCP_1X, "pytest>=8", "anyio>=4", "hypothesis>=6.100", "uvicorn>=0.29")


def ensure_environment() -> None:
    wanted = "\n".join(REQUIREMENTS)
    if STAMP.is_file() and STAMP.read_text(encoding="utf-8") == wanted and PYTHON.is_file():
        return
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    install = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS]
    result = subprocess.run(install, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"pip install failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    STAMP.write_text(wanted, encoding="utf-8")


@pytest.mark.skipif(mcp_major() == 1, reason="this is the mcp 1.x environment already")
def test_the_mcp_tests_pass_with_the_last_1x_release() -> None:
    ensure_environment()
    command = [str(PYTHON), "-m", "pytest", "tests/mcp", "-q", "-p", "no:cacheprovider", "-x"]
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    version = subprocess.run(
        [str(PYTHON), "-c", "from importlib.metadata import version; print(version('mcp'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version.startswith("1."), version
    assert " passed" in output, output
    assert " failed" not in output, output
