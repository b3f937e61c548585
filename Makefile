# Chengyu: developer entry points. Run `make help` for the list.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv, pinned, in a project-local venv: the same version on every machine, installed on
# first use from PyPI with the machine's python3.
UV_VERSION := 0.13.9
UV := $(CURDIR)/.cache/tools/bin/uv
RUN := $(UV) run --frozen

.PHONY: help tools sync kafka-jars up down test lint bench contracts

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(CURDIR)/.cache/tools
	$(CURDIR)/.cache/tools/bin/pip install --quiet "uv==$(UV_VERSION)"

tools: $(UV) ## Install the pinned uv into .cache/tools

sync: tools ## Install the workspace from uv.lock
	$(UV) sync --all-packages --frozen

kafka-jars: sync ## Fetch the Apache Kafka jars (deploy/kafka/pom.xml) into .cache/kafka once
	$(RUN) python -m chengyu_kit.local.kafka

# `make up DEMO=0` starts the stack without running `chengyu-demo` on it.
DEMO ?= 1

up: kafka-jars ## Start the local stack (idempotent), then `chengyu-demo` unless DEMO=0
	$(RUN) chengyu stack up
	@# The demo runs each seed once per stack: a second `make up` only shows its summary.
	@if [ "$(DEMO)" = "0" ]; then echo "demo: skipped (DEMO=0)"; else $(RUN) chengyu-demo; fi

down: tools ## Stop everything the local stack started (data kept)
	$(RUN) chengyu stack down

lint: sync ## ruff and mypy over every package
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	@# A service's folders need no entry in pyproject.toml's mypy_path: its hyphenated
	@# folder names no module, so mypy takes its src/ and tests/ as the bases of their files
	@# (and finds the tests' sibling helper modules there).
	$(RUN) mypy contracts/src kit/src deploy/src demo/src services/*/src benchmarks
	$(RUN) mypy contracts/tests kit/tests deploy/tests demo/tests tests services/*/tests

contracts: sync ## Fail if committed schemas differ from the code or a change breaks consumers
	$(RUN) chengyu contracts check

test: kafka-jars lint contracts ## Lint, then every test (unit, integration on real Kafka and PostgreSQL)
	$(RUN) pytest

bench: kafka-jars ## Benchmarks of the kit and the services (see benchmarks/README.md)
	$(RUN) python -m benchmarks.kit_consumer
	$(RUN) python -m benchmarks.fund_saga
	$(RUN) python -m benchmarks.insurance_ledger
	$(RUN) python -m benchmarks.http_auth
	$(RUN) python -m benchmarks.elder_payment_run
	$(RUN) python -m benchmarks.elder_map_query
	$(RUN) python -m benchmarks.blood_dispatch
	$(RUN) python -m benchmarks.job_matching
	$(RUN) python -m benchmarks.job_matching_ranking
	$(RUN) python -m benchmarks.audit_verify
