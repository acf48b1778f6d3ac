# kpi_extract: every target creates the virtualenv it needs (pinned by requirements.lock).
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= build/demo

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@# pip compiles no bytecode for an editable install, and where PYTHONDONTWRITEBYTECODE is
	@# set Python writes none: each command would compile the sources again (0.04-0.07 s).
	$(BIN)/python -m compileall -q kpi_extract
	touch $(STAMP)

.PHONY: help venv native test unit lint demo golden fuzz bench count lock clean
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv with the pinned dependencies

native: $(STAMP) ## compile the parsing stages with mypyc into build/native (nothing to do if up to date)
	@# Without a C compiler it says so and the modules run from source (kpi_extract/native.py).
	KPI_EXTRACT_PURE=1 $(BIN)/python -m kpi_extract.native_build

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check kpi_extract tests
	$(BIN)/ruff format --check kpi_extract tests
	$(BIN)/mypy --strict

unit: native ## the test suite only (unit, golden, property tests, doctests)
	$(BIN)/python -m pytest -q

test: lint unit ## lint, type-check, then the whole test suite (what CI runs)

demo: native ## convert samples/ into build/demo, show a few rows, end with the audit summary
	rm -rf $(DEMO_OUT)
	$(BIN)/kpi-extract convert samples --out $(DEMO_OUT)
	$(BIN)/kpi-extract show $(DEMO_OUT) --table documents --columns path,encoding,layout,record_count,status --limit 20
	$(BIN)/kpi-extract show $(DEMO_OUT) --table kpis --columns kpi_code,fiscal_year_be,target_value,target_unit,achieved_value --limit 11
	$(BIN)/kpi-extract show $(DEMO_OUT) --table progress_reports --columns project_code,no,date,progress_pct,budget_spent --limit 6
	$(BIN)/kpi-extract audit $(DEMO_OUT) --html $(DEMO_OUT)/audit.html --top 5

bench: native ## benchmarks on synthetic corpora of 1k, 10k, 100k documents -> benchmarks.md (12-35 min)
	$(BIN)/python -m kpi_extract.bench

count: native ## instructions per document through the workers' code (valgrind, repeatable, about a minute)
	$(BIN)/python -m kpi_extract.count

fuzz: native ## a long fuzzing run of the parser and the decoder (5,000 inputs each)
	KPI_EXTRACT_FUZZ_EXAMPLES=5000 $(BIN)/python -m pytest -q tests/test_fuzz.py

golden: native ## rewrite samples/*/*.expected.json from the parser (review the diff!)
	$(BIN)/python -m tests.golden

lock: $(STAMP) ## re-pin requirements.lock from the current venv
	{ echo '# Pinned versions used by the Makefile (pip -c). Regenerate with `make lock`.'; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^kpi.extract'; } > requirements.lock

clean: ## remove the venv, caches and build output
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache *.egg-info
