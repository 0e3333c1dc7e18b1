# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test lint bench mutate install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/alert-whisperer dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install lint
	$(BIN)/pytest -q
	$(BIN)/python bench/ingest.py --alerts 300 --concurrency 20 --storm 300
	$(BIN)/python bench/first_task.py --alerts 200 --rate 20
	$(BIN)/python bench/kpis.py --alerts 20000 --runs 3

bench: install
	$(BIN)/python bench/ingest.py

# Mutation testing of the pure rule modules against their unit tests ([tool.mutmut] in pyproject.toml).
# Not part of `make test` or CI: 5-10 minutes on two cores. Results stay in mutants/ (`mutmut browse`).
mutate: install
	$(BIN)/mutmut run
	$(BIN)/python tests/support/mutation_score.py
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache mutants .hypothesis
