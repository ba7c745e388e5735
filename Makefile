# The two commands a newcomer needs: `make run` and `make test`. Both set up everything
# (a virtualenv in .venv with the project and its test tools) on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# checkov pins old boto3/botocore, so it lives in a virtualenv of its own
CHECKOV_VENV := build/checkov-venv
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: run test lint typecheck unit clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/ujian serve --demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.3.30'

test: lint typecheck $(CHECKOV)
	INFRA_CHECKOV=$(CURDIR)/$(CHECKOV) $(BIN)/python -m pytest

unit: $(BIN)/.installed
	$(BIN)/python -m pytest tests/unit

clean:
	rm -rf $(VENV) build .ujian .pytest_cache .mypy_cache .ruff_cache
