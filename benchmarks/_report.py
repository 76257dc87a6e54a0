"""What every benchmark script shares: the machine description, the text table, and the JSON written to results/."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"
PACKAGES = (
    "betterauth-jwt",
    "cryptography",
    "PyNaCl",
    "PyJWT",
    "joserfc",
    "Authlib",
    "python-jose",
    "jwcrypto",
    "oxyjwt",
    "webtoken",
    "ryjwt",
    "uvicorn",
)


# What the benchmarks time with. "wall": time.perf_counter_ns, what a caller waits. "cpu": time.process_time_ns, the
# CPU time of this process (every thread), which a shared machine's other processes cannot inflate by preempting it.
CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}
_clock = [time.perf_counter_ns]


def use_clock(name: str) -> None:
    _clock[0] = CLOCKS[name]


def clock() -> int:
    """The benchmark clock, in ns (``use_clock`` chooses it; wall time by default)."""
    return _clock[0]()


def environment() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "packages": versions,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (it reads fine in a terminal and pastes into docs/performance.md as is)."""
    cells = [[str(h) for h in headers], *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        padded = (cell.rjust(w) if num else cell.ljust(w) for cell, w, num in zip(row, widths, numeric, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric, strict=True))
        + "|"
    )
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _is_number(value: object) -> bool:
    return value is None or isinstance(value, int | float)


def _cell(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_json(name: str, data: dict[str, Any], output: Path | None = None) -> Path:
    directory = output or RESULTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps({"environment": environment(), **data}, indent=2) + "\n")
    return path
