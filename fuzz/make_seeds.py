"""Write the seed corpus (``fuzz/seeds``) from the harness's own tokens and the recorded Better Auth fixtures.

    .venv/bin/python fuzz/make_seeds.py

Run it again after changing the harness's input format or re-recording the fixtures; the seeds are committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzz.harness import seed_inputs


def main() -> None:
    directory = Path(__file__).resolve().parent / "seeds"
    directory.mkdir(exist_ok=True)
    for old in directory.iterdir():
        old.unlink()
    for name, data in seed_inputs().items():
        (directory / name).write_bytes(data)
    print(f"wrote {len(list(directory.iterdir()))} seeds to {directory}")


if __name__ == "__main__":
    main()
