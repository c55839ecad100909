# Two commands matter: `make run` (the whole system locally) and `make test`.
# Both create their virtual environments on first use.
.DEFAULT_GOAL := help
SHELL := /bin/bash
export SAM_CLI_TELEMETRY := 0

PYTHON ?= python3
VENV ?= .venv
SAM_VENV ?= .venv-sam
# checkov and pip-audit pin what the app's environment cannot share: their own environment.
CHECKOV_VENV ?= .venv-checkov
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
# Python 3.13, the functions' runtime (sam build needs it): from pyenv, else python3.13 on PATH.
SAM_PYTHON ?= $(or $(shell command -v pyenv >/dev/null 2>&1 && ls -d "$$(pyenv root)"/versions/3.13*/bin/python 2>/dev/null | tail -n 1),$(shell command -v python3.13 2>/dev/null))
PIP_QUIET := --quiet --disable-pip-version-check

$(VENV)/.installed: requirements.txt layers/payments/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the development environment in $(VENV) ..."
	@$(PY) -m pip install $(PIP_QUIET) -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import aws_lambda_powertools, moto, pydantic, phonenumbers, requests, cfnlint" 
	@touch $@

$(SAM_VENV)/.installed:
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	@echo "Installing AWS SAM CLI in its own environment $(SAM_VENV) ..."
	@$(SAM_VENV)/bin/pip install $(PIP_QUIET) aws-sam-cli==1.170.0 2>&1 | grep -v "^WARNING: Location" || true
	@$(SAM) --version >/dev/null
	@touch $@

# The bench measures the functions under their runtime's Python (3.13, SAM_PYTHON) when this
# machine has it: an environment of that version with what Lambda gives them (the layer, boto3).
BENCH_VENV ?= .venv-bench
$(BENCH_VENV)/.installed: requirements.txt layers/payments/requirements.txt
	@test -x $(BENCH_VENV)/bin/python || $(SAM_PYTHON) -m venv $(BENCH_VENV)
	@echo "Installing the functions' runtime environment for the bench in $(BENCH_VENV) ..."
	@$(BENCH_VENV)/bin/pip install $(PIP_QUIET) -r layers/payments/requirements.txt $$(grep -E '^boto3==' requirements.txt) 2>&1 | grep -v "^WARNING: Location" || true
	@$(BENCH_VENV)/bin/python -c "import aws_lambda_powertools, boto3, pydantic, aws_xray_sdk"
	@touch $@

$(CHECKOV_VENV)/.installed:
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@echo "Installing checkov and pip-audit in their own environment $(CHECKOV_VENV) ..."
	@$(CHECKOV_VENV)/bin/pip install $(PIP_QUIET) checkov==3.3.30 pip-audit==2.10.1 2>&1 | grep -v "^WARNING: Location" || true
	@$(CHECKOV_VENV)/bin/checkov --version >/dev/null
	@touch $@

.PHONY: help
help: ## Show the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.PHONY: venv
venv: $(VENV)/.installed ## Create the development environment

.PHONY: environments
environments: ## Create the three virtual environments (app, SAM CLI, checkov) side by side
	@$(MAKE) --no-print-directory -j3 -Otarget $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed

.PHONY: run
run: $(VENV)/.installed ## The whole service locally, no Docker: API :3000, webhook :3001, AWS :5000, Taramoney simulator :3002
	$(PY) -m local_stack

.PHONY: e2e
e2e: $(VENV)/.installed ## Only the end-to-end tests (they start and stop their own local stack)
	$(PY) -m pytest -m e2e

.PHONY: soak
soak: $(VENV)/.installed ## 500 payments under faults through a local stack on free ports, then an audit (ARGS="--payments 100" ...)
	$(PY) -m local_stack.soak $(ARGS)

.PHONY: lint
lint: $(VENV)/.installed ## ruff (lint and format check), mypy, cfn-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml

.PHONY: validate
validate: $(SAM_VENV)/.installed ## sam validate --lint
	$(SAM) validate --lint --region eu-west-1

.PHONY: checkov
checkov: $(CHECKOV_VENV)/.installed ## checkov on template.yaml (each suppression justified in .ci/checkov.yaml or on its resource)
	$(CHECKOV_VENV)/bin/checkov --config-file .ci/checkov.yaml

.PHONY: audit
audit: $(CHECKOV_VENV)/.installed ## pip-audit of the pinned dependencies (fails if the vulnerability database cannot be reached)
	AUDIT=$(CHECKOV_VENV)/bin/pip-audit .ci/audit

.PHONY: test
test: environments lint validate checkov ## Lint, validate the template, checkov, pip-audit (warns when offline) and every test
	AUDIT=$(CHECKOV_VENV)/bin/pip-audit AUDIT_OFFLINE_OK=1 .ci/audit
	$(PY) -m pytest

.PHONY: openapi
openapi: $(VENV)/.installed ## Regenerate docs/openapi.json from the code (a test fails while it is stale)
	$(PY) -m local_stack.openapi

.PHONY: numbering
numbering: $(VENV)/.installed ## Regenerate Cameroon's numbering plan and operator prefixes from phonenumbers (a test fails while they differ)
	$(PY) tools/cameroon_numbering.py

.PHONY: costs
costs: $(VENV)/.installed ## Regenerate docs/costs.md (AWS cost per million payments) from docs/costs.py and the template
	$(PY) docs/costs.py

.PHONY: bench
# The measured interpreter: the runtime's environment when there is a Python 3.13, else the bench's own.
BENCH_PYTHON ?= $(if $(SAM_PYTHON),$(BENCH_VENV)/bin/python)
bench: $(VENV)/.installed build $(if $(filter $(BENCH_VENV)/bin/python,$(BENCH_PYTHON)),$(BENCH_VENV)/.installed) ## Cold starts, warm cost, AWS calls and package sizes (table + .local/bench.json; a few minutes)
	BENCH_PYTHON="$(BENCH_PYTHON)" $(PY) -m bench

.PHONY: build
build: $(SAM_VENV)/.installed ## sam build (no container; needs Python 3.13 for the runtime)
	$(if $(SAM_PYTHON),PATH="$(dir $(SAM_PYTHON)):$$PATH") $(SAM) build

.PHONY: deploy
deploy: build ## sam deploy (guided the first time: make deploy ARGS=--guided)
	$(SAM) deploy $(ARGS)

# The deployed stack `make logs` reads; another stage: make logs STACK=taramoney-payments-prod
STACK ?= taramoney-payments
REGION ?= eu-west-1

.PHONY: logs
logs: $(SAM_VENV)/.installed ## Tail the deployed functions' logs and the API's access log (STACK=, REGION=; ARGS='--filter "<payment_id>"')
	$(SAM) logs --stack-name $(STACK) --region $(REGION) --tail $(ARGS)

.PHONY: clean
clean: ## Remove build output and local state
	rm -rf .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
