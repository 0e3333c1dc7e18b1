# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

# The web UI (ui/): npm ci when package-lock.json changes, a build when its sources or the API change.
UI_INPUTS = ui/package-lock.json ui/index.html ui/vite.config.ts ui/tsconfig.json \
	$(shell find ui/src api core workflows -type f \( -name '*.ts' -o -name '*.tsx' -o -name '*.css' -o -name '*.py' \) \
		! -name 'schema.gen.ts' 2>/dev/null | sort)
UI_HASH = $(shell cat $(UI_INPUTS) | sha1sum | cut -c1-12)
NPM_STAMP = ui/node_modules/.installed-$(shell sha1sum ui/package-lock.json | cut -c1-12)
UI_STAMP = ui/dist/.built-$(UI_HASH)

.PHONY: run test lint bench mutate install clean ui ui-types ui-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

$(NPM_STAMP): ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	rm -f ui/node_modules/.installed-*
	touch $(NPM_STAMP)

# TypeScript types of the API from its OpenAPI schema (not committed: generated before every build).
ui-types: $(STAMP) $(NPM_STAMP)
	$(BIN)/python -m worker.cli openapi --output build/openapi.json
	cd ui && npm run --silent api-types

$(UI_STAMP):
	$(MAKE) --no-print-directory ui-types
	cd ui && npm run build
	touch $(UI_STAMP)

ui: $(UI_STAMP)

# UI work: Vite on :5173 with hot reload, /api and /ws proxied to the API of `make run` on :8000.
ui-dev: ui-types
	cd ui && exec node_modules/.bin/vite

run: install ui
	$(BIN)/alert-whisperer dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install lint ui
	cd ui && npm run test
	$(BIN)/pytest -q
	$(BIN)/python bench/ingest.py --alerts 300 --concurrency 20 --storm 300
	$(BIN)/python bench/first_task.py --alerts 200 --rate 20
	$(BIN)/python bench/ws.py --clients 50 --alerts 10 --rate 5 --latency-alerts 10

bench: install
	$(BIN)/python bench/ingest.py

# Mutation testing of the pure rule modules against their unit tests ([tool.mutmut] in pyproject.toml).
# Not part of `make test` or CI: 5-10 minutes on two cores. Results stay in mutants/ (`mutmut browse`).
mutate: install
	$(BIN)/mutmut run
	$(BIN)/python tests/support/mutation_score.py
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache mutants .hypothesis build ui/dist ui/node_modules
