# Chengyu: developer entry points. Run `make help` for the list.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv: the one on PATH, else a project-local copy in .cache/tools (installed on first use).
LOCAL_UV := $(CURDIR)/.cache/tools/bin/uv
UV := $(or $(shell command -v uv 2>/dev/null),$(LOCAL_UV))

.PHONY: help tools sync kafka-jars up down

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(LOCAL_UV):
	python3 -m venv $(CURDIR)/.cache/tools
	$(CURDIR)/.cache/tools/bin/pip install --quiet uv

tools: $(UV) ## Make sure uv is there (project-local copy if not on PATH)

sync: tools ## Install the workspace from uv.lock
	$(UV) sync --all-packages --frozen

kafka-jars: sync ## Fetch the Apache Kafka jars (deploy/kafka/pom.xml) into .cache/kafka once
	$(UV) run --frozen python -m chengyu_ops.kafka

up: kafka-jars ## Start the local stack: Kafka, PostgreSQL, topics, services (idempotent)
	$(UV) run --frozen chengyu stack up

down: tools ## Stop everything the local stack started (data kept)
	$(UV) run --frozen chengyu stack down
