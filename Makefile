# Every target builds the virtual environment it needs first, so a fresh clone
# with only Python 3.11 and make can run `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast snapshot-update bench bench-quick lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/msp-tui demo

test: $(STAMP)
	$(BIN)/pytest -n 2 --dist=loadfile -q

test-fast: $(STAMP)
	$(BIN)/pytest -n 2 --dist=loadfile -q -m "not slow"

snapshot-update: $(STAMP)
	$(BIN)/pytest tests/ui -q --snapshot-update

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) .pytest_cache
