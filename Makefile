# The two commands: `make run` (set up what is missing, start everything) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup setup-dev run secrets test test-fast lint bench validate train token clean purge export-client erase-client audit-verify

help:
	@echo "make run       set up (venv, demo DB, model) and start Rasa :5005, actions :5055, pages :8080"
	@echo "make test      set up test tools and run every test"
	@echo "make test-fast unit tests only (no browser, servers or model; under a minute)"
	@echo "make setup     the set-up step alone (idempotent)"
	@echo "make bench     benchmarks: accuracy, latency, memory, training time"
	@echo "make validate  validate knowledge/ and policy.yml (exit 0 only when clean)"
	@echo "make lint      ruff (lint and format), import-linter layers, mypy (exit 0 only when clean)"
	@echo "make token ID=C1001   mint a demo client token"
	@echo "make purge [ARGS=--dry-run]            delete/anonymise records past their retention period"
	@echo "make export-client ID=C1001 OUT=file   everything held about one client, as JSON"
	@echo "make erase-client ID=C1002             erase what no rule requires keeping about one client"
	@echo "make audit-verify  check the audit log's hash chain (names the first broken row)"

setup:
	@scripts/setup.sh

setup-dev:
	@scripts/setup.sh dev

# `make run` is demo mode unless BOT_DEMO_MODE=0 is given; the secrets are checked
# before anything else, so a non-demo start without them fails at once.
run: export BOT_DEMO_MODE ?= 1
run: secrets setup
	@scripts/run.sh

secrets:  # stdlib only: it runs before the virtualenv exists
	@$(if $(wildcard $(PY)),$(PY),python3) -m core.secrets check

test: setup-dev
	@scripts/test.sh

test-fast:  # unit tests: no browser, no servers, no trained model (under a minute)
	@[ -x .venv/bin/pytest ] || scripts/setup.sh dev
	@$(PY) -m pytest -q -m "not e2e and not browser and not cluster and not model"

bench: setup-dev
	@$(PY) -m benchmarks

validate:
	@[ -x $(PY) ] || scripts/setup.sh
	@$(PY) -m services.knowledge validate

lint:
	@[ -x .venv/bin/mypy ] || scripts/setup.sh dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	.venv/bin/mypy

train:
	@FORCE=1 scripts/train.sh

token: export BOT_DEMO_MODE ?= 1
token:
	@$(PY) -m bot token $(or $(ID),C1001)

purge:
	@$(PY) -m services.records purge $(ARGS)

export-client:
	@[ -n "$(ID)" ] && [ -n "$(OUT)" ] || { echo "usage: make export-client ID=C1001 OUT=c1001.json"; exit 2; }
	@$(PY) -m services.records export "$(ID)" "$(OUT)"

erase-client:
	@[ -n "$(ID)" ] || { echo "usage: make erase-client ID=C1002"; exit 2; }
	@$(PY) -m services.records erase "$(ID)"

audit-verify:
	@$(PY) -m services.records audit-verify

clean:
	rm -rf models var .pytest_cache test-artifacts
