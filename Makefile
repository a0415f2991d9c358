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

.PHONY: setup demo dev test lint typecheck unit bench synth openapi deploy destroy smoke clean

#: the stages cdk.json declares; `make deploy` and `make destroy` take one of them as STAGE
STAGES := $(shell python3 -c 'import json; print(" ".join(json.load(open("cdk.json"))["context"]["stages"]))')
#: `-c stage=...` and, when given, the alarm recipients (prod needs one: ALARM_EMAILS=oncall@example.com)
CDK_STAGE = -c stage=$(STAGE) $(if $(ALARM_EMAILS),-c alarm_emails=$(ALARM_EMAILS))
OUTPUTS = cdk.out/outputs-$(STAGE).json

# Checked when make reads this file, so a bad STAGE stops even `make -n deploy` before any command.
# STAGE must be on the command line: one left in the environment (the local runtime and Powertools use
# that name too) would deploy or destroy a stage nobody named.
ifneq ($(filter deploy destroy,$(MAKECMDGOALS)),)
ifneq ($(origin STAGE),command line)
override STAGE :=
endif
ifeq ($(STAGE),)
$(error STAGE is required on the command line: make $(firstword $(filter deploy destroy,$(MAKECMDGOALS))) STAGE=<one of: $(STAGES)>)
endif
ifeq ($(filter $(STAGE),$(STAGES)),)
$(error unknown STAGE '$(STAGE)': cdk.json declares $(STAGES))
endif
endif
ifneq ($(filter smoke,$(MAKECMDGOALS)),)
ifeq ($(and $(API),$(TOKEN),$(WS)),)
$(error make smoke: API, TOKEN and WS are required: make smoke API=<ApiUrl> TOKEN=<admin token> WS=<WebSocketUrl> (make deploy prints them))
endif
endif

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
	$(PY) bench/cold_start.py --runs 5 --components
	$(PY) bench/cost.py

#: prod needs an alarm recipient: make synth STAGE=prod ALARM_EMAILS=oncall@example.com
synth: setup
	npx cdk synth -c stage=$${STAGE:-dev} $(if $(ALARM_EMAILS),-c alarm_emails=$(ALARM_EMAILS)) --quiet

#: a stage into the AWS account of your credentials, in the stage's region (cdk.json): bootstrap,
#: the diff, the deploy (approval asked for security-broadening changes only) with its outputs file,
#: then what is left to do by hand. make deploy STAGE=prod ALARM_EMAILS=oncall@example.com
deploy: setup
	npx cdk bootstrap $(CDK_STAGE)
	npx cdk diff $(CDK_STAGE)
	npx cdk deploy --all $(CDK_STAGE) --require-approval broadening --outputs-file $(OUTPUTS)
	$(PY) -m leadflow.deploy next-steps $(STAGE) --outputs $(OUTPUTS)

#: delete the stage's stacks (cdk asks first); prints what it keeps (prod's retained tables and buckets)
destroy: setup
	npx cdk destroy --all $(CDK_STAGE)
	$(PY) -m leadflow.deploy kept $(STAGE)

#: the main journeys through public endpoints only: make smoke API=https://.../prod TOKEN=lf_... WS=wss://.../prod
#: [CALLER=+1...: a number that phoned the stage's Connect line]. `make test` runs the same suite locally.
smoke: setup
	@echo "smoke: $(API) and $(WS) (the token is not printed)"
	@SMOKE_API='$(API)' SMOKE_TOKEN='$(TOKEN)' SMOKE_WS='$(WS)' SMOKE_CALLER='$(CALLER)' $(VENV)/bin/pytest -q -p no:cacheprovider tests/smoke

#: docs/openapi.json from the routes' declared types (a unit test fails when it is stale)
openapi: setup
	$(PY) -m leadflow.openapi

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache
