# Every target creates (once) and reuses the local virtual environment .venv, with what
# it needs: make demo the core and the plot extra only, every other target the dev extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: help demo test lint lab nightly mutate bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[plot]'
	touch $(DEMO_STAMP)

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## /  make \1\t/' | expand -t 16

demo: $(DEMO_STAMP)  ## run the blueprint under both strategies; the picture into build/demo
	$(BIN)/flowsim demo --out build/demo

test: lint $(STAMP)  ## every check: ruff, mypy --strict, pytest (doctests, properties, notebooks, browser)
	HYPOTHESIS_PROFILE=ci $(BIN)/pytest

nightly: $(STAMP)  ## the property suite with many more examples, and the rare-outcome check
	HYPOTHESIS_PROFILE=nightly $(BIN)/pytest property_tests --hypothesis-show-statistics

mutate: $(STAMP)  ## mutation testing of engine, compile, retries, checks, oracle (about 30 min on 2 cores; MUTANTS='flowsim.engine*' for one module)
	HYPOTHESIS_PROFILE=mutation $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python -c "import json; s = json.load(open('mutants/mutmut-cicd-stats.json')); \
	k, v = s['killed'] + s['timeout'], s['survived'] + s['no_tests']; \
	print(f'mutation score: {k}/{k + v} = {k / max(k + v, 1):.1%} killed ({s})')"

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)  ## flowsim vs SimPy vs a bare heapq loop (N = 1k..1M), sweeps, linear-time check, the notebook explorer, exhaustive explore (BENCH_ARGS=--quick)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/small_bench.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick)
	$(BIN)/python benchmarks/strategies_bench.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick)
	$(BIN)/python benchmarks/sweep_bench.py
	$(BIN)/python benchmarks/check_bench.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick)
	$(BIN)/python benchmarks/explorer_bench.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick)
	$(BIN)/python benchmarks/explore_bench.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick)

DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)  ## the documentation site into build/site (strict: a warning or a broken link fails)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(STAMP)  ## ruff format --check, ruff check, mypy --strict (the first step of make test)
	$(BIN)/ruff format --check flowsim tests property_tests benchmarks docs/hooks
	$(BIN)/ruff check flowsim tests property_tests benchmarks docs/hooks
	$(BIN)/mypy

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks

clean:  ## remove the virtual environment and every build product
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache mutants build
