"""Shared fixtures, and the Hypothesis profiles for every property test, chosen with ``HYPOTHESIS_PROFILE``.

``ci`` (default): derandomized (the same examples on every run and every machine), fixed example counts, no example
database, a generous per-example deadline: an example that needs more than a second is a hang, not a slow machine.
``long``: twenty times the examples, random, with the example database, for ``make forgery-long`` and before releases.
``quick``: a fifth of ``ci``'s examples, for the other Pythons in ``make test-pythons``.
Tests that need other settings (e.g. the example's state machine) override them with ``@settings``.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings

CI_EXAMPLES = 100

settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=1),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=20 * CI_EXAMPLES,
    derandomize=False,
    deadline=timedelta(seconds=5),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# ``quick``: the ci profile with a fifth of the examples, for ``make test-pythons`` (the full count runs on 3.11).
settings.register_profile("quick", settings.get_profile("ci"), max_examples=CI_EXAMPLES // 5)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
