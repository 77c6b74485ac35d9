# Every target works on a fresh machine: it creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The lowest Airflow that pyproject.toml admits: CI runs the suite against it too.
AIRFLOW_FLOOR := $(shell sed -n 's/.*"apache-airflow>=\([0-9.]*\)".*/\1/p' pyproject.toml)
FLOOR_VENV    ?= .venv-floor

.PHONY: install test test-floor lint demo bench e2e clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test,lint]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)  ## run the whole suite against the emulator (no network, no key)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-floor:  ## the suite against apache-airflow==$(AIRFLOW_FLOOR)
	test -x $(FLOOR_VENV)/bin/python || $(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FLOOR_VENV)/bin/pip install --quiet "apache-airflow==$(AIRFLOW_FLOOR)" -e ".[test]"
	$(FLOOR_VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff (lint + format check) and mypy
	$(BIN)/ruff check airflow_provider_whatsapp tests benchmarks e2e demo example_dags
	$(BIN)/ruff format --check airflow_provider_whatsapp tests benchmarks e2e demo example_dags
	$(BIN)/mypy

demo: $(STAMP)  ## start the emulator, run the example DAGs, show what was sent
	$(BIN)/python -m demo

e2e: $(STAMP)  ## the real deployment: Postgres, api-server, scheduler, dag-processor, triggerer
	$(BIN)/pip install --quiet -e ".[e2e]"
	$(BIN)/python -m pytest -q -p no:cacheprovider -s e2e $(PYTEST_ARGS)

bench: $(STAMP)  ## benchmarks against the emulator; figures go to benchmarks/results/
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) $(FLOOR_VENV) .airflow-test .demo .e2e .e2e-bench .pytest_cache .mypy_cache .ruff_cache
