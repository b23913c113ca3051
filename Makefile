# The two commands: `make run` (set up what is missing, start everything) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup setup-dev run secrets test bench validate train token clean

help:
	@echo "make run       set up (venv, demo DB, model) and start Rasa :5005, actions :5055, pages :8080"
	@echo "make test      set up test tools and run every test"
	@echo "make setup     the set-up step alone (idempotent)"
	@echo "make bench     benchmarks: accuracy, latency, memory, training time"
	@echo "make validate  validate knowledge/ and policy.yml (exit 0 only when clean)"
	@echo "make token ID=C1001   mint a demo client token"

setup:
	@scripts/setup.sh

setup-dev:
	@scripts/setup.sh dev

# `make run` is demo mode unless BOT_DEMO_MODE=0 is given; the secrets are checked
# before anything else, so a non-demo start without them fails at once.
run: export BOT_DEMO_MODE ?= 1
run: secrets setup
	@scripts/run.sh

secrets:
	@[ ! -x $(PY) ] || $(PY) -m core.secrets check

test: setup-dev
	@scripts/test.sh

bench: setup-dev
	@$(PY) -m benchmarks

validate:
	@[ -x $(PY) ] || scripts/setup.sh
	@$(PY) -m services.knowledge validate

train:
	@FORCE=1 scripts/train.sh

token: export BOT_DEMO_MODE ?= 1
token:
	@$(PY) -m bot token $(or $(ID),C1001)

clean:
	rm -rf models var .pytest_cache test-artifacts
