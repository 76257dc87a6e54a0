# Every target creates the virtual environment it needs; `make test` is what CI runs (.ci/run calls it).
# PYTHON: the interpreter the virtual environment is made with (3.11 or newer), e.g. `make demo PYTHON=python3.12`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The demo needs only the front end's packages; the interop tests need their own Better Auth servers' too.
DEMO_NPM_PROJECTS := examples/nextjs_frontend
TEST_NPM_PROJECTS := tests/interop/betterauth tests/interop/oauth tests/interop/sessions
LINT_PATHS := $(wildcard src tests examples/fastapi_todo examples/frameworks examples/mcp_todo benchmarks scripts fuzz)
# make test-pythons: the core and adapter tests on the other supported Pythons (pyenv's, or PYTHON_3_12=... to choose).
PYTHON_3_12 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3) python3.12)
PYTHON_3_13 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3) python3.13)
# Not here: the end-to-end, interop and example tests (Node, PostgreSQL, a browser), the docs, the benchmarks, the wheel
# smoke test and the slow ones (a fuzzing run): .venv runs those on 3.11.
CORE_TESTS := -m "not slow" tests --ignore=tests/e2e --ignore=tests/interop --ignore=tests/example --ignore=tests/test_docs.py \
	--ignore=tests/test_benchmarks_smoke.py --ignore=tests/test_wheel_smoke.py

.PHONY: venv python-check node-deps node-deps-demo node-deps-tests lint typecheck pytest test test-pythons dist demo \
	demo-secret bench bench-smoke docs fixtures fuzz forgery-long clean

# Checked before anything is installed: an older interpreter would otherwise fail much later, in a pip resolver message.
python-check:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		found=$$($(PYTHON) --version 2>/dev/null) || found="not found"; \
		echo "make: betterauth-jwt needs Python 3.11 or newer, and PYTHON=$(PYTHON) is $$found."; \
		echo "make: install one (python.org, pyenv, your package manager) and pass it: make $(or $(MAKECMDGOALS),venv) PYTHON=python3.12"; \
		exit 1; }

# The dev dependency group ([dependency-groups] in pyproject.toml) needs pip 25.1 or newer, installed first.
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml | python-check
	@echo "make: creating $(VENV) with $$($(PYTHON) --version) and installing the development dependencies (pip is quiet"
	@echo "make: meanwhile; a first run takes a few minutes, later runs reuse $(VENV))"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade 'pip>=25.1'
	$(PY) -m pip install --quiet -e . --group dev
	touch $@

# npm ci where node_modules is missing or older than the lockfile. better-sqlite3 compiles from source: point node-gyp at
# the system Node headers (no download needed).
define npm_ci
	@for dir in $(1); do \
		if [ -f $$dir/package-lock.json ] && { [ ! -f $$dir/node_modules/.package-lock.json ] \
				|| [ $$dir/package-lock.json -nt $$dir/node_modules/.package-lock.json ]; }; then \
			echo "npm ci in $$dir (a first run takes a minute or two)"; (cd $$dir && npm ci --no-audit --no-fund) || exit 1; \
		fi; \
	done
endef
NODE_DIR := $(if $(wildcard /usr/include/node/node.h),/usr,$(npm_config_nodedir))
node-deps: node-deps-tests node-deps-demo
node-deps-demo: export npm_config_nodedir := $(NODE_DIR)
node-deps-demo:
	$(call npm_ci,$(DEMO_NPM_PROJECTS))
node-deps-tests: export npm_config_nodedir := $(NODE_DIR)
node-deps-tests:
	$(call npm_ci,$(TEST_NPM_PROJECTS))

lint: venv
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check src

typecheck: venv
	$(PY) -m mypy

pytest: venv node-deps
	$(PY) -m pytest

test: lint typecheck pytest test-pythons

# The core and adapter tests on Python 3.12 and 3.13 too (3.11 is .venv's, with everything): one venv each, made with
# the `test` dependency group only, the package installed from the working tree.
test-pythons: python-check
	@for py in "$(PYTHON_3_12)" "$(PYTHON_3_13)"; do \
		version=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])') || { echo "make: $$py not found"; exit 1; }; \
		venv=.venv-$$version; \
		if [ ! -f $$venv/.installed ] || [ pyproject.toml -nt $$venv/.installed ]; then \
			echo "make: creating $$venv (the test dependency group; pip is quiet, about a minute)"; \
			$$py -m venv $$venv && $$venv/bin/python -m pip install --quiet --upgrade 'pip>=25.1' \
				&& $$venv/bin/python -m pip install --quiet -e . --group test && touch $$venv/.installed || exit 1; \
		fi; \
		echo "make: core and adapter tests on Python $$version"; \
		HYPOTHESIS_PROFILE=quick $$venv/bin/python -m pytest -q -p no:cacheprovider $(CORE_TESTS) || exit 1; \
	done

# A wheel and an sdist in dist/, built from the working tree: `pip install dist/betterauth_jwt-*.whl` elsewhere.
dist: venv
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .
	@ls -l dist

demo: venv node-deps-demo
	$(PY) scripts/demo.py --mode jwks

demo-secret: venv node-deps-demo
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

fixtures: venv node-deps-tests
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
	rm -rf $(VENV) .venv-3.12 .venv-3.13 .venv-mcp1 dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
