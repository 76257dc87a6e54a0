"""Hypothesis profiles for the forgery suite, chosen with ``HYPOTHESIS_PROFILE`` (default ``ci``).

``ci``: derandomized (the same examples on every run and every machine), fixed example counts, no example database, a
generous per-example deadline: an example that needs more than a second is a hang, not a slow machine.
``long``: twenty times the examples, random, with the example database, for ``make forgery-long`` and before releases.

Loading a profile sets Hypothesis' defaults for the whole pytest process, so other property tests collected in the same
run get the same profile.
"""

from __future__ import annotations

import os
from datetime import timedelta

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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
