# Rendezvous: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Running needs the runtime dependencies only; the test and lint tools come with `make test`.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
BROWSER_STAMP := $(VENV)/.installed-browser
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# compat: the project folder on sys.path, without setuptools' notice about editable finders.
EDITABLE := --config-settings editable_mode=compat
RENDEZVOUS_PORT ?= 8000
HOST_PORT ?= 8001

.PHONY: run host test test-fast bench lint format check doctor reset clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e . $(EDITABLE)
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test,dev]' $(EDITABLE)
	touch $@ $(RUN_STAMP)

# The browser tests' packages (the `browser` extra): `make test` and `make bench` need them.
$(BROWSER_STAMP): $(TEST_STAMP)
	$(PIP) -e '.[test,browser,dev]' $(EDITABLE)
	touch $@

## Serve the demo organisation on SQLite: API + widget + /book on RENDEZVOUS_PORT (8000),
## the example host page (another origin) on HOST_PORT (8001). Bookings: var/.
run: $(RUN_STAMP)
	@config=$${RENDEZVOUS_CONFIG:-$$($(BIN)/python examples/demo_ports.py --api-port $(RENDEZVOUS_PORT) --host-port $(HOST_PORT))} || exit 1; \
	$(BIN)/python examples/serve_host.py --port $(HOST_PORT) --api http://127.0.0.1:$(RENDEZVOUS_PORT) & host_pid=$$!; \
	trap 'kill $$host_pid 2>/dev/null' EXIT INT TERM; \
	RENDEZVOUS_PORT=$(RENDEZVOUS_PORT) RENDEZVOUS_CONFIG=$$config $(BIN)/rendezvous serve

## Only the example host page (another origin), for when the server runs elsewhere.
host: $(RUN_STAMP)
	$(BIN)/python examples/serve_host.py --port $(HOST_PORT) --api http://127.0.0.1:$(RENDEZVOUS_PORT)

## Every test, browser tests included (Debian's chromium at /usr/bin/chromium).
test: $(BROWSER_STAMP)
	$(BIN)/python -m pytest -q

## Everything but the browser tests; runs without the browser packages.
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m "not browser"

## Benchmarks; prints one JSON document.
bench: $(BROWSER_STAMP)
	@$(BIN)/python -m bench

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(RUN_STAMP)
	$(BIN)/rendezvous check examples/demo-bank/organisation.toml

doctor: $(RUN_STAMP)
	RENDEZVOUS_CONFIG=examples/demo-bank/organisation.toml $(BIN)/rendezvous doctor

## Forget the demo's bookings and its secret key (old manage and invite links stop working).
reset:
	rm -rf var

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
