# Every target creates the virtual environment it needs; `make test` is what CI runs (.ci/run calls it).
VENV ?= .venv
PY := $(VENV)/bin/python
NPM_PROJECTS := tests/interop/betterauth examples/nextjs_frontend

.PHONY: venv node-deps lint typecheck pytest test demo demo-secret bench docs fixtures clean

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node-deps:
	@for dir in $(NPM_PROJECTS); do \
		if [ -f $$dir/package-lock.json ] && [ ! -d $$dir/node_modules ]; then \
			echo "npm ci in $$dir"; (cd $$dir && npm ci --no-audit --no-fund) || exit 1; \
		fi; \
	done

lint: venv
	$(PY) -m ruff check src tests examples/fastapi_todo benchmarks scripts
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

# The user documentation (docs/, mkdocs.yml) into site/; strict: a broken link or anchor fails the build.
docs: venv
	$(PY) -m mkdocs build --strict --site-dir site

fixtures: venv node-deps
	$(PY) scripts/record_fixtures.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
