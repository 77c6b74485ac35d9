# Every target works on a fresh machine: it creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The Airflow releases CI tests, each installed with its own constraints file (the oldest
# patch of each supported minor; constraints/build.sh rebuilds them). One venv per release.
AIRFLOW_MATRIX := $(sort $(patsubst constraints/airflow-%.txt,%,$(wildcard constraints/airflow-*.txt)))
AIRFLOW        ?=
AF_VENV        := .venv-airflow-$(AIRFLOW)

.PHONY: install test test-matrix test-airflow print-airflow-matrix lint docs demo bench e2e e2e-celery clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test,lint]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)  ## run the whole suite against the emulator (no network, no key)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-matrix:  ## the suite on every release in constraints/, each with its constraints
	@for v in $(AIRFLOW_MATRIX); do $(MAKE) --no-print-directory test-airflow AIRFLOW=$$v || exit 1; done

print-airflow-matrix:
	@echo $(AIRFLOW_MATRIX)

test-airflow:  ## the suite on one release with its constraints: make test-airflow AIRFLOW=3.1.8
	@test -f constraints/airflow-$(AIRFLOW).txt || { echo "AIRFLOW=<one of: $(AIRFLOW_MATRIX)>"; exit 2; }
	test -x $(AF_VENV)/bin/python || $(PYTHON) -m venv $(AF_VENV)
	$(AF_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AF_VENV)/bin/pip install --quiet -c constraints/airflow-$(AIRFLOW).txt -e ".[test]"
	$(AF_VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff (lint + format check) and mypy
	$(BIN)/ruff check airflow_provider_whatsapp tests benchmarks e2e demo example_dags docs
	$(BIN)/ruff format --check airflow_provider_whatsapp tests benchmarks e2e demo example_dags docs
	$(BIN)/mypy

# The site is rebuilt from scratch (-E: every page re-read, so every warning shows again),
# warnings are errors (-W) and all of them are listed (--keep-going); nitpicky (-n): a
# cross-reference to nothing fails. Then its test opens every page in headless Chromium.
DOCS_HTML := docs/_build/html
docs: $(STAMP)  ## build the documentation site (docs/_build/html), then test it in Chromium
	$(BIN)/pip install --quiet -e ".[docs]"
	rm -rf $(DOCS_HTML)
	$(BIN)/python -m sphinx -E -n -W --keep-going -b html docs $(DOCS_HTML)
	WHATSAPP_DOCS_HTML=$(DOCS_HTML) $(BIN)/python -m pytest -q -p no:cacheprovider -m docs tests/docs $(PYTEST_ARGS)

demo: $(STAMP)  ## start the emulator, run the example DAGs, show what was sent
	$(BIN)/python -m demo

e2e: $(STAMP)  ## the real deployment: Postgres, api-server, scheduler, dag-processor, triggerer
	$(BIN)/pip install --quiet -e ".[e2e]"
	$(BIN)/python -m pytest -q -p no:cacheprovider -s e2e/test_deployment.py $(PYTEST_ARGS)

e2e-celery: $(STAMP)  ## the same on CeleryExecutor: Redis (apt-get when missing), two workers
	$(BIN)/pip install --quiet -e ".[e2e,celery]"
	$(BIN)/python -m pytest -q -p no:cacheprovider -s e2e/test_celery.py $(PYTEST_ARGS)

bench: $(STAMP)  ## benchmarks against the emulator; figures go to benchmarks/results/
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .venv-airflow-* docs/_build docs/_generated .airflow-test .demo .e2e .e2e-celery .e2e-bench .pytest_cache .mypy_cache .ruff_cache
