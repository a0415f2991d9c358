# Leadflow: `make demo` runs the main job locally, `make test` runs every check.
# Both set everything up from the project's own files first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYSTAMP := $(VENV)/.installed
NODESTAMP := node_modules/.installed
#: Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser)
CHROMIUM := /usr/bin/chromium
BROWSERSTAMP := $(VENV)/.chromium
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup demo dev test lint typecheck unit bench synth openapi clean

$(PYSTAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# phonenumberslite replaced phonenumbers (same import name: only one may be installed) and the X-Ray SDK left
	$(PY) -m pip uninstall -q -y phonenumbers aws-xray-sdk
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(NODESTAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BROWSERSTAMP): $(PYSTAMP)
	test -x $(CHROMIUM) || (apt-get update && apt-get install -y --no-install-recommends chromium)
	touch $@

setup: $(PYSTAMP) $(NODESTAMP) $(BROWSERSTAMP)

demo: setup
	$(VENV)/bin/leadflow demo

dev: setup
	$(VENV)/bin/leadflow dev

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

#: then the end-to-end tests marked stock_moto (every domain, about 2 minutes) again on stock moto:
#: the local AWS with its correctness fixes only (README, "The local runtime")
test: lint typecheck
	$(VENV)/bin/pytest -q
	LEADFLOW_STOCK_MOTO=1 $(VENV)/bin/pytest -q -m stock_moto tests/e2e

bench: setup
	$(PY) bench/ingest_bench.py
	$(PY) bench/vanity_bench.py --numbers 10000
	$(PY) bench/rules_bench.py
	$(PY) bench/enrich_bench.py
	$(PY) bench/notify_bench.py --both
	$(PY) bench/assignment_bench.py --agents 50 --emails 5000 --think-ms 2000 --timeout 600
	$(PY) bench/assignment_bench.py --agents 50 --emails 1000 --timeout 180
	$(PY) bench/cold_start.py --runs 5
	$(PY) bench/cost.py

#: prod needs an alarm recipient: make synth STAGE=prod ALARM_EMAILS=oncall@example.com
synth: setup
	npx cdk synth -c stage=$${STAGE:-dev} $(if $(ALARM_EMAILS),-c alarm_emails=$(ALARM_EMAILS)) --quiet

#: docs/openapi.json from the routes' declared types (a unit test fails when it is stale)
openapi: setup
	$(PY) -m leadflow.openapi

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache
