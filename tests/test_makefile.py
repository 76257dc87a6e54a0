"""The Makefile's on-ramp (issue 23): a clear early check of the Python version, the demo installing only what it needs
and saying what it is doing, the dev dependency group, the other Pythons and the wheel in `make test`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_an_old_python_is_refused_before_anything_is_installed(tmp_path: Path) -> None:
    old = tmp_path / "python3.10"
    old.write_text('#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.10.13"; else exit 1; fi\n')
    old.chmod(0o755)
    result = make("venv", f"VENV={tmp_path / 'venv'}", f"PYTHON={old}")
    assert result.returncode != 0
    assert "needs Python 3.11 or newer" in result.stdout
    assert "Python 3.10.13" in result.stdout
    assert "PYTHON=python3.12" in result.stdout  # how to pass another one
    assert not (tmp_path / "venv").exists()
    missing = make("venv", f"VENV={tmp_path / 'venv'}", "PYTHON=no-such-python-here")
    assert "is not found" in missing.stdout


def test_the_check_accepts_this_python(tmp_path: Path) -> None:
    assert make("python-check", f"PYTHON={sys.executable}").returncode == 0


def test_venv_says_what_it_does_and_installs_the_dev_group(tmp_path: Path) -> None:
    dry = make("-n", "venv", f"VENV={tmp_path / 'venv'}", f"PYTHON={sys.executable}").stdout
    assert "installing the development dependencies" in dry
    assert "a first run takes a few minutes" in dry
    assert "--group dev" in dry
    assert "pip>=25.1" in dry  # --group needs it
    assert ".[dev]" not in dry


def test_the_demo_installs_the_front_end_only(tmp_path: Path) -> None:
    dry = make("-n", "demo", f"VENV={tmp_path / 'venv'}", f"PYTHON={sys.executable}").stdout
    assert "examples/nextjs_frontend" in dry
    assert "tests/interop" not in dry
    tests = make("-n", "node-deps", f"VENV={tmp_path / 'venv'}").stdout
    assert "tests/interop/betterauth" in tests
    assert "examples/nextjs_frontend" in tests  # the e2e tests drive the front end too


def test_make_test_runs_the_other_pythons(tmp_path: Path) -> None:
    dry = make("-n", "test", f"VENV={tmp_path / 'venv'}", f"PYTHON={sys.executable}").stdout
    assert "core and adapter tests on Python" in dry
    assert "--group test" in dry


def test_dist_builds_from_the_tree(tmp_path: Path) -> None:
    dry = make("-n", "dist", f"VENV={tmp_path / 'venv'}", f"PYTHON={sys.executable}").stdout
    assert "-m build" in dry
    assert "--outdir dist" in dry
