"""Shared test utilities (not fixtures): the CI rule that a missing component fails instead of skipping."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip locally when a component (Node, PostgreSQL, Chromium...) is missing; under CI=true, fail: CI installs all."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must install it, so this is a failure, not a skip)")
    pytest.skip(reason)
