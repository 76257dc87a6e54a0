"""Coverage-guided fuzzing of the token parser, the claims policy and JWK loading, with atheris (libFuzzer).

    .venv/bin/python fuzz/fuzz_verifier.py -max_total_time=60 fuzz/work fuzz/seeds

Flags are libFuzzer's (``-runs=N``, ``-max_total_time=S``, ``-timeout=S``, ``-artifact_prefix=DIR/``); new inputs go
to the first corpus directory. What is checked for each input: ``fuzz/harness.py``. See ``fuzz/README.md``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports(include=["betterauth_jwt", "fuzz.harness"]):
    from fuzz.harness import fuzz_one_input


class _FormatEveryRecord(logging.Handler):
    """Format each log record (hostile values go through the package's log formatting, which must not raise), then
    drop it: thousands of "JWKS member refused" lines a second would slow the fuzzer down."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


def main() -> None:
    package_logger = logging.getLogger("betterauth_jwt")
    package_logger.addHandler(_FormatEveryRecord())
    package_logger.propagate = False
    atheris.Setup(sys.argv, fuzz_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
