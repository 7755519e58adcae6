# kg: quick start is `make demo` then `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kg-installed
DEV_STAMP := $(VENV)/.kg-dev-installed
OUT ?= out

.PHONY: demo test install dev bench clean help

help:
	@echo "make demo   - create $(VENV), install kg, build the bundled sample articles into $(OUT)/"
	@echo "make test   - install the dev extras and run the test suite"
	@echo "make bench  - run the benchmark scripts"
	@echo "make clean  - remove $(OUT)/ and caches (keeps $(VENV))"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kg needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(STAMP)

dev: $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/kg build -o $(OUT)
	@echo ""
	@echo "Open $(OUT)/graph.html in a browser; query $(OUT)/graph.trig with: $(BIN)/kg query --graph $(OUT)/graph.trig QUERY"

test: $(DEV_STAMP)
	$(BIN)/python -m pytest

bench: $(DEV_STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis build dist
