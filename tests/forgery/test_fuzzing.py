"""The fuzz target (``fuzz/fuzz_verifier.py``): its seeds and every past crash replayed, and a short coverage-guided run.

A crash the fuzzer finds is saved as ``crash-<sha1>``; copy it into ``fuzz/regressions/`` (named after what it broke)
and it is replayed here on every test run from then on.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz.harness import fuzz_one_input, seed_inputs

from tests._support import unavailable

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
SHORT_RUN_ITERATIONS = 100_000  # 10 to 40 s on one core; `make fuzz` runs for 60 s, fuzz/README.md for longer


def _inputs(directory: str) -> list[Path]:
    return sorted(path for path in (FUZZ / directory).glob("*") if path.is_file() and path.name != "README.md")


@pytest.mark.parametrize("path", _inputs("seeds") + _inputs("regressions"), ids=lambda path: path.name)
def test_seeds_and_past_crashes_pass_the_harness(path: Path) -> None:
    fuzz_one_input(path.read_bytes())


def test_the_committed_seeds_are_what_the_harness_generates() -> None:
    """Seeds are regenerated with ``fuzz/make_seeds.py``; stale ones would start the fuzzer from the wrong place.
    Only the names are compared: tokens signed by the randomly keyed fixtures differ byte for byte on each run."""
    assert {path.name for path in _inputs("seeds")} == set(seed_inputs())


@pytest.mark.slow
def test_a_short_fuzzing_run_finds_no_crash(tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        unavailable("atheris is not installed (pip install atheris)")
    work, artifacts = tmp_path / "corpus", tmp_path / "crashes"
    shutil.copytree(FUZZ / "seeds", work)
    artifacts.mkdir()
    command = [
        sys.executable,
        str(FUZZ / "fuzz_verifier.py"),
        f"-runs={SHORT_RUN_ITERATIONS}",
        "-max_len=24576",  # past the 16 KiB token cap
        "-timeout=10",  # seconds for one input: a hang is a crash
        "-rss_limit_mb=2048",
        "-seed=1",  # the same run every time
        f"-artifact_prefix={artifacts}/",
        str(work),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONHASHSEED": "0"}
    )
    crashes = [path.name for path in sorted(artifacts.iterdir())]
    found = f"the fuzzer found a crash {crashes}; move it into fuzz/regressions/. Output:\n{result.stderr[-4000:]}"
    assert not crashes, found
    assert result.returncode == 0, found
    assert f"Done {SHORT_RUN_ITERATIONS} runs" in result.stderr
