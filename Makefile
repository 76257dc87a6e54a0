# Every target creates the virtual environment it needs; `make test` is what CI runs (.ci/run calls it).
VENV ?= .venv
PY := $(VENV)/bin/python
NPM_PROJECTS := tests/interop/betterauth tests/interop/oauth tests/interop/sessions examples/nextjs_frontend
LINT_PATHS := $(wildcard src tests examples/fastapi_todo examples/frameworks examples/mcp_todo benchmarks scripts fuzz)

.PHONY: venv node-deps lint typecheck pytest test demo demo-secret bench bench-smoke docs fixtures fuzz forgery-long clean

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# npm ci where node_modules is missing or older than the lockfile. better-sqlite3 compiles from source: point node-gyp at the system Node headers (no download needed).
node-deps: export npm_config_nodedir := $(if $(wildcard /usr/include/node/node.h),/usr,$(npm_config_nodedir))
node-deps:
	@for dir in $(NPM_PROJECTS); do \
		if [ -f $$dir/package-lock.json ] && { [ ! -f $$dir/node_modules/.package-lock.json ] \
				|| [ $$dir/package-lock.json -nt $$dir/node_modules/.package-lock.json ]; }; then \
			echo "npm ci in $$dir"; (cd $$dir && npm ci --no-audit --no-fund) || exit 1; \
		fi; \
	done

lint: venv
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check src

typecheck: venv
	$(PY) -m mypy

pytest: venv node-deps
	$(PY) -m pytest

test: lint typecheck pytest

demo: venv node-deps
	$(PY) scripts/demo.py --mode jwks

demo-secret: venv node-deps
	$(PY) scripts/demo.py --mode secret

# Benchmarks (docs/performance.md): micro (peers, four algorithms), a realistic request stream, the steps of one
# verification (parts), cache memory, HTTP (uvicorn + wrk), session mode
# in process and over HTTP (sessions, sessions_http). A few minutes; results in benchmarks/results/.
# `python -m benchmarks.before_after --ref main` compares this checkout with another revision, in one process.
# bench-smoke: tiny counts, checks that they run (CI runs it as tests/test_benchmarks_smoke.py).
bench: venv
	$(PY) -m benchmarks.micro
	$(PY) -m benchmarks.stream
	$(PY) -m benchmarks.parts
	$(PY) -m benchmarks.memory
	$(PY) -m benchmarks.http_bench
	$(PY) -m benchmarks.oauth_bench
	$(PY) -m benchmarks.frameworks_bench
	$(PY) -m benchmarks.sessions
	$(PY) -m benchmarks.sessions_http

bench-smoke: venv
	$(PY) -m benchmarks.micro --smoke
	$(PY) -m benchmarks.stream --smoke
	$(PY) -m benchmarks.parts --smoke
	$(PY) -m benchmarks.before_after --ref HEAD --smoke
	$(PY) -m benchmarks.memory --smoke
	$(PY) -m benchmarks.http_bench --smoke
	$(PY) -m benchmarks.oauth_bench --smoke
	$(PY) -m benchmarks.frameworks_bench --smoke
	$(PY) -m benchmarks.sessions --smoke
	$(PY) -m benchmarks.sessions_http --smoke

# The user documentation (docs/, mkdocs.yml) into site/; strict: a broken link or anchor fails the build.
docs: venv
	$(PY) -m mkdocs build --strict --site-dir site

fixtures: venv node-deps
	$(PY) scripts/record_fixtures.py
	for config in default issuer-origin mcp; do $(PY) tests/interop/oauth/record.py $$config || exit 1; done

# Coverage-guided fuzzing of the parser and the verifier (fuzz/README.md); FUZZ_SECONDS=3600 for a longer campaign.
FUZZ_SECONDS ?= 60
fuzz: venv
	mkdir -p fuzz/work fuzz/crashes
	$(PY) fuzz/fuzz_verifier.py -max_total_time=$(FUZZ_SECONDS) -max_len=24576 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=fuzz/crashes/ fuzz/work fuzz/seeds

# The forgery suite with Hypothesis' "long" profile (20x the examples, random, with the example database).
forgery-long: venv
	HYPOTHESIS_PROFILE=long $(PY) -m pytest tests/forgery

clean:
	rm -rf $(VENV) .venv-mcp1 .pytest_cache .mypy_cache .ruff_cache .hypothesis
