# crewclock — `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench migrate doctor clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/crewclock run

test: $(STAMP)
	$(BIN)/ruff check core bot tests bench
	$(BIN)/mypy core
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check core bot tests bench
	$(BIN)/ruff format --check core bot tests bench

typecheck: $(STAMP)
	$(BIN)/mypy core

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

migrate: $(STAMP)
	$(BIN)/crewclock migrate

doctor: $(STAMP)
	$(BIN)/crewclock doctor

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache crewclock.db
