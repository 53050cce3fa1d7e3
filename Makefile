# Every target creates (once) and reuses the local virtual environment .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint lab clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## run the blueprint scenario under both strategies
	$(BIN)/flowsim demo

test: lint $(STAMP)  ## every check: ruff, mypy --strict, pytest (doctests, notebooks, browser)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff format --check flowsim tests
	$(BIN)/ruff check flowsim tests
	$(BIN)/mypy

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
