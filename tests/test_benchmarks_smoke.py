"""The benchmarks run, and every implementation they compare agrees on what to accept. No timing is asserted here.

``make bench`` measures; this only checks that it would work: each contender (betterauth-jwt, the floor and the peer
libraries, pure-Python and Rust-backed) accepts valid Better Auth-shaped tokens and rejects tampered ones for every
algorithm, and each benchmark script runs end to end with tiny counts and writes its JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks._contenders import ALGORITHMS, CONTENDERS, SIGNATURE_TAMPERING, Case, Contender, disagreements

from tests._support import unavailable

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=ALGORITHMS)
def case(request: pytest.FixtureRequest) -> Case:
    return Case(request.param)


def test_every_implementation_accepts_valid_tokens_and_rejects_tampered_ones(case: Case) -> None:
    assert disagreements(case) == []


def test_the_agreement_check_catches_an_implementation_that_accepts_everything(case: Case) -> None:
    gullible = Contender("gullible", "returns without checking", lambda _case: lambda token: {})
    problems = disagreements(case, (gullible,))
    assert len(problems) == len(case.tampered())
    assert all("gullible" in problem for problem in problems)


def test_the_floor_checks_signatures_only(case: Case) -> None:
    floor = next(c for c in CONTENDERS if c.name == "floor")
    verify = floor.build(case)
    assert verify is not None
    verify(case.tokens(1)[0])
    tampered = case.tampered()
    for label in SIGNATURE_TAMPERING:
        with pytest.raises(ValueError, match="bad signature"):
            verify(tampered[label])
    verify(tampered["expired"])  # a yardstick, not a verifier: claims are not its job


def _run(module: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", module, "--smoke", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_micro_benchmark_runs_and_writes_its_results(tmp_path: Path) -> None:
    done = _run("benchmarks.micro", "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "micro.json").read_text())
    assert result["smoke"] is True
    assert set(result["results"]) == set(ALGORITHMS)
    assert all(problems == [] for problems in result["agreement"].values())
    for alg, measured in result["results"].items():
        expected = {c.name for c in CONTENDERS} - set(measured["unsupported"])
        assert expected <= set(measured["median_us"]), alg
    # python-jose has no EdDSA; ryjwt has no wheel before Python 3.12
    assert result["results"]["EdDSA"]["unsupported"] == ["python-jose"] + (
        ["ryjwt"] if sys.version_info < (3, 12) else []
    )
    assert set(result["results"]["EdDSA"]["median_us"]) >= {
        "oxyjwt",
        "webtoken",
        "signature call only, fastest backend",
    }
    assert result["does_not_check"]["EdDSA"]["betterauth-jwt"] == []
    assert "| implementation" in done.stdout


def test_stream_benchmark_runs_and_every_implementation_answers_every_request_rightly(tmp_path: Path) -> None:
    done = _run("benchmarks.stream", "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr  # it exits 1 if any implementation answered a request wrongly
    result = json.loads((tmp_path / "stream.json").read_text())
    assert result["smoke"] is True
    assert result["kinds"]["expired"] > 0
    assert result["kinds"]["forged"] > 0
    assert {"betterauth-jwt", "PyJWT", "oxyjwt", "webtoken"} <= set(result["median_us_per_request"])
    assert 0 < result["ours"]["hit_rate"] < 1
    assert "| implementation" in done.stdout


def test_parts_benchmark_runs_and_writes_its_results(tmp_path: Path) -> None:
    done = _run("benchmarks.parts", "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "parts.json").read_text())
    assert set(result["us"]) == {"HS256", "RS256", "EdDSA"}
    assert "signature call, previous" in result["us"]["HS256"]
    assert "signature call, previous" not in result["us"]["RS256"]


def test_before_after_benchmark_runs_against_a_git_revision(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        unavailable("needs git and a git checkout")
    done = _run("benchmarks.before_after", "--ref", "HEAD", "--algorithms", "HS256", "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "before_after.json").read_text())
    assert set(result["median_us"]["HS256"]) >= {"before, cache_size=0", "after, full cache", "after, cache hit"}


def test_memory_benchmark_runs_and_writes_its_results(tmp_path: Path) -> None:
    done = _run("benchmarks.memory", "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "memory.json").read_text())
    assert result["cached_tokens"] == 1_000
    assert result["rss_after_bytes"] > 0


@pytest.mark.slow
def test_http_benchmark_serves_every_variant_as_expected(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        unavailable("wrk is not installed (Debian: apt-get install wrk)")
    done = _run("benchmarks.http_bench", "--output", str(tmp_path), timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "http.json").read_text())
    # Each variant answered as it must: 200 for valid tokens and without auth, 401 for every garbage token.
    assert result["served_as_expected"] == {name: True for name in result["median_requests_per_s"]}
    assert set(result["median_requests_per_s"]) == {
        "no auth",
        "repeated token",
        "unique tokens",
        "garbage tokens",
        "PyJWT middleware, repeated token",
    }
    assert all(rate > 0 for rate in result["median_requests_per_s"].values())


def test_sessions_benchmark_runs_and_counts_round_trips(tmp_path: Path) -> None:
    done = _run("benchmarks.sessions", "--output", str(tmp_path), timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row[0]: row for row in json.loads((tmp_path / "sessions.json").read_text())["rows"]}
    # One SQL query, two Redis GETs (the session, then the user's revoked-before marker); none on a cache hit.
    assert rows["session, SQLite, sync"][2] == 1
    assert rows["session, SQLite, async"][2] == 1
    assert rows["session, Redis, async"][2] == 2
    assert rows["session, SQLite, sync, cache_ttl=5"][2] < 0.1


@pytest.mark.slow
def test_sessions_http_benchmark_serves_every_mode_and_counts_round_trips(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        unavailable("wrk is not installed (Debian: apt-get install wrk)")
    done = _run("benchmarks.sessions_http", "--output", str(tmp_path), timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "sessions_http.json").read_text())
    assert result["served_as_expected"] == {name: True for name in result["median_requests_per_s"]}
    assert all(rate > 0 for rate in result["median_requests_per_s"].values())
    trips = result["round_trips_per_request"]
    assert trips["JWT (EdDSA), repeated token"] == {}
    # Counted by the server: one SQL statement, two Redis GETs (the session, the revoked-before marker); with the short
    # positive cache, only the first requests (and one after the TTL) reach the store.
    assert trips["session, SQLite"]["store_round_trips"] == trips["session, SQLite"]["sql_statements"] == 1
    assert trips["session, Redis"]["store_round_trips"] == trips["session, Redis"]["redis_gets"] == 2
    for name in ("session, SQLite, cache_ttl=5", "session, Redis, cache_ttl=5"):
        assert trips[name]["store_round_trips"] < 0.1, name
        assert trips[name]["cache_hits"] > 0.9, name
    assert "x JWT" in done.stdout


def test_oauth_benchmark_runs_and_writes_its_results(tmp_path: Path) -> None:
    done = _run("benchmarks.oauth_bench", "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "oauth.json").read_text())
    assert result["smoke"] is True
    assert set(result["results"]) == {"EdDSA", "ES256", "RS256"}
    for measured in result["results"].values():
        assert set(measured["oauth_over_first_party"]) == {"cold, cache_size=0", "cold, default cache", "cache hit"}
        assert all(ratio > 0 for ratio in measured["oauth_over_first_party"].values())
    assert "OAuth / first-party" in done.stdout


@pytest.mark.slow
def test_frameworks_benchmark_serves_every_variant_as_expected(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        unavailable("wrk is not installed (Debian: apt-get install wrk)")
    done = _run("benchmarks.frameworks_bench", "--output", str(tmp_path), timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "frameworks.json").read_text())
    assert set(result["served_as_expected"]) == {
        "flask (gunicorn gthread)", "django (gunicorn gthread)", "django (uvicorn, ASGI)", "litestar (uvicorn)"
    }  # fmt: skip
    assert all(result["served_as_expected"].values())
    assert all(rate > 0 for rates in result["median_requests_per_s"].values() for rate in rates.values())
