"""Session fixtures for the browser tests: the front end's npm packages and production build, and Chromium."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from scripts import demo

from tests._support import unavailable
from tests.interop.harness import node_available

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
                ["make", "node-deps-demo"],
                cwd=demo.ROOT,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            unavailable(f"`make node-deps-demo` (npm ci) could not run: {exc}")
        if result.returncode != 0:
            unavailable(f"`make node-deps-demo` (npm ci) failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
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
