# The two commands a newcomer needs: `make run` and `make test`. Both set up everything
# (a virtualenv in .venv with the project, its test tools and the load generator's) on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# checkov pins old boto3/botocore, so it lives in a virtualenv of its own
CHECKOV_VENV := build/checkov-venv
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: run test lint contracts deadcode typecheck unit clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,load]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/ujian serve --demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# the layer rules of docs/architecture.md, as import contracts (pyproject.toml [tool.importlinter])
contracts: $(BIN)/.installed
	$(BIN)/lint-imports --no-cache
	$(BIN)/python docs/layer_table.py --check

# names nothing uses; what looks unused but is reached by a framework is in vulture_allowlist.py
deadcode: $(BIN)/.installed
	$(BIN)/vulture

typecheck: $(BIN)/.installed
	$(BIN)/mypy

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.3.30'

# the browser tests (tests/e2e/browser) drive Debian's Chromium; installed here when missing
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "the browser tests need Chromium: sudo apt-get install chromium" >&2; exit 1; fi

# the QTI cross-check (tests/e2e/browser/test_qti_crosscheck.py) installs CitoLab's
# qti-components into build/qti-crosscheck with npm; Node.js and npm are installed here when missing
NPM := /usr/bin/npm
$(NPM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	else echo "the QTI cross-check needs npm: sudo apt-get install nodejs npm" >&2; exit 1; fi

test: lint contracts deadcode typecheck $(CHECKOV) $(CHROMIUM) $(NPM)
	INFRA_CHECKOV=$(CURDIR)/$(CHECKOV) $(BIN)/python -m pytest

unit: $(BIN)/.installed
	$(BIN)/python -m pytest tests/unit

clean:
	rm -rf $(VENV) build .ujian .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
