# Rendezvous: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.installed-browser
HOST_PORT ?= 8001

.PHONY: run host test test-fast bench lint format check doctor clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

# The browser tests' packages (the `browser` extra): only `make test` needs them.
$(BROWSER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,browser,dev]'
	touch $(BROWSER_STAMP)

## Serve the demo organisation on SQLite (API + widget + /book on :8000, example host page on :8001).
run: $(STAMP)
	@$(BIN)/python examples/serve_host.py --port $(HOST_PORT) >/dev/null 2>&1 & host_pid=$$!; \
	trap 'kill $$host_pid 2>/dev/null' EXIT INT TERM; \
	$(BIN)/rendezvous serve

## Only the example host page (another origin), for when the server runs elsewhere.
host: $(STAMP)
	$(BIN)/python examples/serve_host.py --port $(HOST_PORT)

## Every test, browser tests included (Debian's chromium at /usr/bin/chromium).
test: $(BROWSER_STAMP)
	$(BIN)/python -m pytest -q

## Everything but the browser tests; runs without the browser packages.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser"

## Benchmarks; prints one JSON document.
bench: $(BROWSER_STAMP)
	@$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(STAMP)
	$(BIN)/rendezvous check examples/demo-bank/organisation.toml

doctor: $(STAMP)
	RENDEZVOUS_CONFIG=examples/demo-bank/organisation.toml $(BIN)/rendezvous doctor

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
